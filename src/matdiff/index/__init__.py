"""Index (Einstein) notation, the form in which derivatives are taken.

``tensor`` holds the data (a ``TensorSum`` of ``Term``s of ``Factor``s) that the
differentiator builds and ``to_matrix`` reads back into matrix form; above the
simplifier, ``form`` readies a result that has no matrix form for printing,
``render`` prints it (text and LaTeX, also for the steps view), ``parse`` reads the
printed text back and ``evaluate`` turns any of them into numbers.  This file imports
none of them: each module sits in its own layer (tests/test_architecture.py).
"""
