"""Pure-Python healthcare standards: code formats and (later) X12 and HL7 v2 codecs.

Nothing in this package imports Django, so it can be tested and reused on its own.
"""
