"""Reports: the weekly digest from warehouse metrics, rendered as HTML and text, and mailed.

digest.py builds plain data, render.py turns it into HTML/text, delivery.py writes the outbox
and sends the mail. Imports `warehouse` only; knows nothing of Prefect.
"""
