"""The run report: report.json, per-chapter manifests and the HTML page."""
