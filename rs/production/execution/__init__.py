"""Execution of prepared jobs (production part 2): claim, stage, run the Task Table, register the outputs.

See CONTRACT.md for what a processor sees, and rs/production/README.md for the flow and the settings.
"""
