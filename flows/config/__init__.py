"""Project and voice configuration: project.toml, voice profiles, takes, new projects."""
