"""``python -m sesame`` runs the ``sesame`` command."""

from sesame.flows.cli import main

main()
