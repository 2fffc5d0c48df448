import Logging
import ServiceLifecycle

extension ServiceGroup {
    /// A group of one service that stops gracefully on SIGTERM or SIGINT, and whose service
    /// returning by itself (a count reached, a duration over) ends the command with success
    /// rather than as "finished unexpectedly".
    static func finishing(_ service: some Service, logger: Logger) -> ServiceGroup {
        ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
    }
}
