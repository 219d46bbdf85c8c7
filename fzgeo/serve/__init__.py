"""``fzgeo serve``: the check page, OGC API layers and published maps over HTTP (issue #19)."""
