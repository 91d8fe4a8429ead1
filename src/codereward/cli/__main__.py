"""`python -m codereward.cli`."""

from . import main

main()
