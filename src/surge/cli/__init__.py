"""surge.cli: thin argparse subcommands. Nothing imports this package."""
