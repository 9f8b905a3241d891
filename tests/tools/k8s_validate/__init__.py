"""Offline validation of the objects the nomad_server role renders (see run.py)."""
