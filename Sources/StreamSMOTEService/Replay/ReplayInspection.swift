/// `ReplayFile`, opened up to the package's fuzz targets (`Fuzz/FuzzCSV`) and tests.
///
/// It takes a path, as `ReplayFile` does, so a caller that writes its bytes to a file first
/// exercises exactly what `streamsmote replay --file` runs.
package enum ReplayInspection {
    /// The events `streamsmote replay --file` would publish from `path`.
    ///
    /// - Parameters:
    ///   - path: The file; its extension picks CSV or JSON lines.
    ///   - labelColumn: `--label-column`.
    ///   - idColumn: `--id-column`.
    ///   - timestampColumn: `--timestamp-column`.
    ///   - categoricalColumns: `--categorical-column`s.
    /// - Throws: `ServiceError` naming the line.
    package static func events(
        path: String, labelColumn: String, idColumn: String? = nil, timestampColumn: String? = nil,
        categoricalColumns: [String] = []
    ) throws(ServiceError) -> [DecodedEvent] {
        var settings = ReplaySource.FileSettings(path: path, labelColumn: labelColumn)
        settings.idColumn = idColumn
        settings.timestampColumn = timestampColumn
        settings.categoricalColumns = categoricalColumns
        return try ReplayFile(settings).events
    }
}
