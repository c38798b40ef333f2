"""Call corpora shipped with csqa: ``demo/`` is what ``csqa score`` scores when given no path."""
