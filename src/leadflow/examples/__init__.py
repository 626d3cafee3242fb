"""Runnable example scripts with their data; the top-level examples/ folder links here,
so the same files serve `leadflow demo`, the docs and the example tests."""
