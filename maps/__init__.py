"""Packaged data folder (installed as fzgeo._maps)."""
