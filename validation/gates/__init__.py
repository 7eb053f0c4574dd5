"""The cutover gates: the runner, the registry, the reports and one module per gate."""
