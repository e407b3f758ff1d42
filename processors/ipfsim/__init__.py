"""Simulated Instrument Processing Facilities: small programs that honour the IPF interface exactly.

They read the JobOrder given as their single argument, read their inputs from the working directory, write
real-format products (manifests, footprints derived from the inputs, a quicklook), log in the IPF line format,
list their outputs in a `.LIST` file and exit with the IPF exit-code convention. Standard library only: they are
separate programs, run by the execution workers like any real IPF (see processors/README.md).
"""
