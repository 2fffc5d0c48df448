import Logging
import ServiceLifecycle
import UnixSignals

extension ServiceGroup {
    /// A group of one service that stops gracefully on SIGTERM or SIGINT, and whose service
    /// returning by itself (a count reached, a duration over) ends the command with success
    /// rather than as "finished unexpectedly".
    static func finishing(
        _ service: some Service, logger: Logger, stopSignals: [UnixSignal] = [.sigterm, .sigint]
    ) -> ServiceGroup {
        ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)
                ],
                gracefulShutdownSignals: stopSignals,
                logger: logger))
    }
}
