"""FHIR R4 (4.0.1) / US Core adapter at the edge: domain objects in, FHIR JSON out.

Domain code never imports this package; interfaces (a FHIR API, exports) do.
"""
