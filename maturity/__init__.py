"""PHM maturity-matrix self-assessment: framework, scoring, persistence."""
