"""X12 5010 codecs (pure Python, no Django): the envelope (``envelope``), and one module a transaction.

- ``envelope``: delimiters, segments, ISA/GS/ST reading with control-number and count checks, writing.
- ``eligibility``: 270 write/read, 271 read/write (005010X279A1).
- ``claims``: 837P write/read (005010X222A1).
- ``remittance``: 835 read/write (005010X221A1).
- ``acks``: 999 (005010X231A1) and 277CA (005010X214) read/write.
"""
