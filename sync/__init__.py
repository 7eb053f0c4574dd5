"""ordersync's sync engine: config, database, change detection, monday client, emulator, CLI."""
