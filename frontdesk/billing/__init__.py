"""Charge entry, the claim scrubber, 837P batches, acknowledgments, 835 posting and denials."""
