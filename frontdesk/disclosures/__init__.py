"""The append-only accounting-of-disclosures log (payment transactions now; records release later)."""
