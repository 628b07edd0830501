"""FrontDesk: practice management for the medical front desk."""

__version__ = "0.1.0"
