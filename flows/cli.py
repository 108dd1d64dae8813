"""The ``bookvoice`` command line: thin wrappers that call into text_prep, tts_engine and flows."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import click
import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Audiobook production with GPT-SoVITS voices.")

EXIT_BAD_INPUT = 2


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exception classes that mean 'bad input' and print as one line."""
    from text_prep.errors import InputFileError
    from tts_engine.errors import EngineError

    return (InputFileError, EngineError)


@app.command()
def inspect(
    book: Path = typer.Argument(..., help="EPUB or TXT file"),
    json_out: bool = typer.Option(False, "--json", help="print the whole structure as JSON"),
) -> None:
    """Print a book's metadata and chapter list."""
    from text_prep.inspect import inspect_book

    typer.echo(inspect_book(book, as_json=json_out))


@app.command()
def phones(
    text: str = typer.Argument(...),
    lang: str = typer.Option("auto", "--lang", help="auto, zh or en"),
    version: str = typer.Option("v2", "--version", help="symbol table: v1 or v2"),
    lexicon: Optional[Path] = typer.Option(None, "--lexicon", help="pronunciation lexicon file"),
) -> None:
    """Print the normalised text, GPT-SoVITS phones and word2ph of TEXT."""
    from text_prep.frontend import describe_phones

    typer.echo(describe_phones(text, lang=lang, version=version, lexicon=lexicon))


@app.command()
def pinyin() -> None:
    """Read lines on stdin; print one citation-pinyin token per input character."""
    from text_prep.zh_pinyin import citation_pinyin_line

    for line in sys.stdin:
        typer.echo(citation_pinyin_line(line.rstrip("\n")))


def main() -> None:
    """Entry point: run the app, turning bad-input exceptions into one line and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        app(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except _user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
