"""A synthetic linked population for any ICB: schema, generator, calibration and storage.

Every record it makes is synthetic: generated to match published aggregates, never real people's data.
"""

from phm_core.synth.generator import GENERATOR_VERSION, Population, generate_population
from phm_core.synth.inputs import SynthesisInputs, UnknownICBError, load_inputs

__all__ = [
    "GENERATOR_VERSION",
    "Population",
    "SynthesisInputs",
    "UnknownICBError",
    "generate_population",
    "load_inputs",
]
