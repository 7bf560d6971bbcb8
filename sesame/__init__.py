"""sesame: a nightly consumer credit scoring job over warehouse exports."""

__version__ = "0.1.0"
