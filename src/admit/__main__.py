"""``python -m admit …``: the same commands as the ``admit`` script."""

from admit.cli import main

main()
