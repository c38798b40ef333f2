"""Outputs: the report, summaries over many calls, HTML pages, evaluation against labels, and text tables.

The report records (:mod:`csqa.outputs.report`, and :mod:`csqa.outputs.callview` that renders one) are imported by
the text and rule layers too, which build evidence spans and results; they import nothing above the input layer.
"""
