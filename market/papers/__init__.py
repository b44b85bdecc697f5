"""The papers the law and the weighbridge need: the transfer manifest and the contract as PDFs,
the driver and the weighbridge ticket of a truck, the lab report behind a lot's assay.

`facts` reads what a paper says (and who may read it), `pdf` prints it; the statutory 台账 is
`market.statutory`.
"""
