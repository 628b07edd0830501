#!/usr/bin/env python
"""Django's manage.py for developers; ``frontdesk`` is the same thing installed as a command."""

from frontdesk.cli import main

if __name__ == "__main__":
    main()
