"""The `treatywatch` command line: typer commands only, each a thin call into the layers below."""
