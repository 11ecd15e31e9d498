"""Helpers for the Octet re-quantization DAGs (see ../octet_requantize.py).

Nothing here runs at DAG parse time except the operator class definition: registry reads,
warehouse reads and run-id derivation all happen inside tasks.
"""
