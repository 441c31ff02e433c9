// Placeholder for components that have no sources yet.
