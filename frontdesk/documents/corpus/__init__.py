"""The labelled benchmark corpus for the document inbox: a generator and its scoring.

``generate.generate_corpus`` draws synthetic paper (faxes, scans, e-mailed PDFs, phone photos of
cards) about a list of patients and writes ``manifest.json`` with what each file is and whose it is;
``score.score`` compares what the pipeline did with those labels. Neither module touches the
database: ``source`` reads the patients and appointments for the ``documents corpus`` command.
"""
