"""Transports to payers (file exchange, built-in simulated payer) and the log of every X12 file sent and received."""
