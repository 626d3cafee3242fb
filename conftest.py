"""Collects the code blocks of README.md, docs/ and the examples' READMEs as tests
(tests/doc_blocks.py says how each kind of block runs)."""

from doc_blocks import documents

pytest_collect_file = documents.pytest()
