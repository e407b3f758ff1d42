"""Execution of prepared jobs (production part 2): claim, stage, run the Task Table, register the outputs.

rs/production/README.md, "Execution", gives the flow, the settings and the processor contract.
"""
