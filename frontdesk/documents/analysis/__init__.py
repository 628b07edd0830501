"""Pure document analysis: pages, OCR, barcodes, classification, identifiers, segmentation.

No Django import anywhere in this package: the pipeline calls these functions per page and does the
database work itself.
"""
