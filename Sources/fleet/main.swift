import FleetCommandLine

FleetCommand.main()
