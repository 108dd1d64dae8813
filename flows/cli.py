"""The ``bookvoice`` command line: thin wrappers that call into text_prep, tts_engine and flows."""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Audiobook production with GPT-SoVITS voices.")

EXIT_BAD_INPUT = 2


def _user_errors() -> tuple[type[BaseException], ...]:
    """Exception classes that mean 'bad input' and print as one line."""
    from text_prep.errors import PathProblem
    from tts_engine.errors import EngineError

    return (PathProblem, EngineError)


@app.command()
def inspect(
    book: Path = typer.Argument(..., help="EPUB or TXT file"),
    json_out: bool = typer.Option(False, "--json", help="print the whole structure as JSON"),
) -> None:
    """Print a book's metadata and chapter list."""
    from text_prep.ingest.inspect import inspect_book

    typer.echo(inspect_book(book, as_json=json_out))


@app.command()
def phones(
    text: str = typer.Argument(...),
    lang: str = typer.Option("auto", "--lang", help="auto, zh or en"),
    version: str = typer.Option("v2", "--version", help="symbol table: v1 or v2"),
    lexicon: Optional[Path] = typer.Option(None, "--lexicon", help="pronunciation lexicon file"),
) -> None:
    """Print the normalised text, GPT-SoVITS phones and word2ph of TEXT."""
    from text_prep.phones.frontend import LANG_CHOICES, describe_phones
    from text_prep.phones.symbols import VERSIONS

    _check_choice(lang, LANG_CHOICES, "--lang")
    _check_choice(version, VERSIONS, "--version")
    typer.echo(describe_phones(text, lang=lang, version=version, lexicon=lexicon))


def _check_choice(value: str, choices: tuple[str, ...], option: str) -> None:
    """A usage error (one line, exit 2) unless VALUE is one of CHOICES."""
    if value not in choices:
        raise typer.BadParameter(f"must be one of {', '.join(choices)}", param_hint=option)


@app.command()
def pinyin() -> None:
    """Read lines on stdin; print one citation-pinyin token per input character."""
    from text_prep.zh.pinyin import citation_pinyin_line

    for line in sys.stdin:
        typer.echo(citation_pinyin_line(line.rstrip("\n")))


def _project_arg() -> Path:
    return typer.Argument(..., help="project folder (with project.toml)", file_okay=False)


@app.command()
def new(
    name: str = typer.Argument(..., help="project name (folder created under --dir)"),
    book: Path = typer.Option(..., "--book", help="EPUB or TXT file (copied into the project)"),
    voice: list[Path] = typer.Option([], "--voice", help="voice file(s) of a custom --engine module:factory "
                                                         "(GPT-SoVITS voices: --profile)"),
    engine: Optional[str] = typer.Option(None, "--engine", help="engine: draft (default), gpt-sovits or module:factory"),
    profile: Optional[str] = typer.Option(None, "--profile", help="GPT-SoVITS voice profile (from `bookvoice voice add`)"),
    parent: Path = typer.Option(Path("projects"), "--dir", help="folder that holds projects"),
) -> None:
    """Create a project folder for BOOK."""
    from flows.config.scaffold import create_project

    project = create_project(parent, name, book, voice, engine or ("gpt-sovits" if voice or profile else "draft"),
                             profile)
    typer.echo(f"created {project.root} (edit {project.config_path.name}, then `bookvoice render {project.root}`)")


def _chapters_option() -> Optional[str]:
    return typer.Option(None, "--chapters", help="only these chapters, e.g. 1-3,7 (numbers as `status` shows)")


def _parse_chapters(spec: Optional[str]) -> Optional[tuple[int, ...]]:
    from flows.pipeline.workspace import parse_chapter_ranges

    if spec is None:
        return None
    try:
        return parse_chapter_ranges(spec)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--chapters") from exc


def _run_render(project: Path, force: list[str] | None, quiet: bool, chapters: Optional[tuple[int, ...]] = None,
                farm: bool = False, formats: Optional[tuple[str, ...]] = None, library: Optional[Path] = None) -> dict:
    """Run the render pipeline, with Rich progress unless quiet."""
    from flows.pipeline import progress
    from flows.pipeline.render import run_render

    delivery = {"formats": formats, "library": library}
    if quiet:
        return run_render(project, force=force or (), chapters=chapters, farm=farm, **delivery)
    with progress.RichProgress() as bars:
        return run_render(project, force=force or (), chapters=chapters, farm=farm, sink=bars, **delivery)


def _parse_formats(values: list[str]) -> Optional[tuple[str, ...]]:
    from flows.delivery.formats import parse_formats

    try:
        return parse_formats(values) if values else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--format") from exc


def _echo_totals(totals: dict, project: Path) -> None:
    typer.echo(f"{totals['sentences']} sentences: {totals['synthesized']} synthesised, {totals['cached']} cached, "
               f"{totals['seconds']:.1f} s; files in {project / 'out'}")


@app.command()
def render(
    project: Path = _project_arg(),
    chapters: Optional[str] = _chapters_option(),
    farm: bool = typer.Option(False, "--farm", help="shard synthesis across `bookvoice worker` processes"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars"),
    formats: list[str] = typer.Option([], "--format", help="deliver these formats this run: mp3, m4b, srt, vtt, "
                                      "epub3 (repeat or comma-separate; default: the project's output formats)"),
    library: Optional[Path] = typer.Option(None, "--library", help="also lay the book out in LIBRARY/Author/Title/ "
                                           "for Audiobookshelf or Plex"),
) -> None:
    """Render every chapter to MP3 (and the chosen delivery formats), reusing cached sentences."""
    _echo_totals(_run_render(project, None, quiet, _parse_chapters(chapters), farm, _parse_formats(formats), library),
                 project)


@app.command()
def status(project: Path = _project_arg(), chapters: Optional[str] = _chapters_option()) -> None:
    """Show per chapter whether it is done, fully cached (needs assembly) or stale."""
    from rich.console import Console
    from rich.table import Table

    from flows.pipeline.status import project_status

    table = Table("chapter", "title", "lines", "cached", "state")
    for row in project_status(project, _parse_chapters(chapters)):
        table.add_row(str(row.index), row.title, str(row.lines), str(row.cached), row.state)
    Console().print(table)


@app.command()
def rerender(
    project: Path = _project_arg(),
    chapter: int = typer.Option(..., "--chapter", help="chapter number (as `status` shows it)"),
    sentence: Optional[str] = typer.Option(None, "--sentence", help="sentence id chapter.paragraph.sentence"),
    match: Optional[str] = typer.Option(None, "--match", help="every sentence containing this text"),
    seed: Optional[int] = typer.Option(None, "--seed", help="take seed (default: the next take)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bars"),
) -> None:
    """Re-synthesise a passage with a new take, then re-assemble its chapter."""
    from flows.pipeline.rerender import choose_passage

    if sentence is not None and match is not None:
        raise typer.BadParameter("give --sentence or --match, not both")
    try:
        labels = choose_passage(project, chapter, sentence, match, seed)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"re-rendering {len(labels)} line(s) of chapter {chapter}")
    _echo_totals(_run_render(project, labels, quiet, (chapter,)), project)


@app.command()
def schedule(
    folder: Path = typer.Argument(..., help="a project folder, or a folder of projects (a catalogue)",
                                  file_okay=False),
    cron: str = typer.Option("0 2 * * *", "--cron", help="cron schedule of the nightly render"),
    farm: bool = typer.Option(False, "--farm", help="render through `bookvoice worker` processes"),
) -> None:
    """Serve a Prefect deployment that renders every project under FOLDER whose inputs changed (Ctrl-C stops)."""
    from flows.farm.backend import prefect_backend
    from flows.farm.schedule import catalogue_projects, serve_nightly

    catalogue_projects(folder)      # a folder with no project is reported before anything starts
    with prefect_backend():
        serve_nightly(folder, cron, farm)


@app.command()
def worker(
    device: str = typer.Option("auto", "--device", help="where this worker synthesises: auto, cpu, cuda[:N]"),
    limit: int = typer.Option(1, "--limit", help="shards run at once by this worker"),
) -> None:
    """Serve synthesis shards to renders run with --farm; models stay loaded between shards (Ctrl-C stops)."""
    from flows.farm.backend import prefect_backend
    from flows.farm.worker import serve_worker

    with prefect_backend():
        serve_worker(device, limit)


server_app = typer.Typer(no_args_is_help=True, help="This user's background Prefect server.")
app.add_typer(server_app, name="server")


@server_app.command("start")
def server_start() -> None:
    """Start this user's Prefect server (or report the running one)."""
    from flows.farm.backend import user_server

    handle = user_server(start=True)
    typer.echo(f"Prefect server at {handle.url if handle else '?'}")


@server_app.command("stop")
def server_stop() -> None:
    """Stop this user's Prefect server."""
    from flows.farm.backend import stop_user_server

    typer.echo("stopped" if stop_user_server() else "no server was running")


models_app = typer.Typer(no_args_is_help=True, help="Pretrained base models (HuBERT, BERT, GPT-SoVITS).")
voice_app = typer.Typer(no_args_is_help=True, help="Cloned voices: voices/<name>.toml profiles.")
app.add_typer(models_app, name="models")
app.add_typer(voice_app, name="voice")


@models_app.command("pull")
def models_pull(
    version: str = typer.Option("v2", "--version", help="model version: v1, v2, v2Pro or v2ProPlus"),
    models_dir: Optional[Path] = typer.Option(None, "--dir", help="cache folder (default: ~/.cache/bookvoice/models)"),
    g2pw: bool = typer.Option(False, "--g2pw", help="also fetch the g2pW Chinese polyphone model (ONNX)"),
) -> None:
    """Download the official pretrained base models (pinned revision, sha256-checked, resumable)."""
    from tts_engine.hub import pull_models

    pulled = pull_models(version, models_dir)
    typer.echo(f"{pulled.version} base models ready in {pulled.root}\n  hubert: {pulled.hubert_dir}\n"
               f"  bert:   {pulled.bert_dir}\n  gpt:    {pulled.gpt_path}\n  sovits: {pulled.sovits_path}"
               + (f"\n  sv:     {pulled.sv_path}" if pulled.sv_path else ""))
    if g2pw:
        from tts_engine.g2pw_pull import pull_g2pw

        typer.echo(f"  g2pw:   {pull_g2pw(models_dir)} (tokenizer: {pulled.bert_dir / 'tokenizer.json'})")


@voice_app.command("add")
def voice_add(
    name: str = typer.Argument(..., help="voice name (file voices/NAME.toml)"),
    gpt: Path = typer.Option(..., "--gpt", help="GPT weights (*.ckpt)"),
    sovits: Path = typer.Option(..., "--sovits", help="SoVITS weights (*.pth)"),
    ref: List[Path] = typer.Option(..., "--ref", help="reference clip, 3-10 s; repeat to add clips to the timbre "
                                                     "(the first one is the one --ref-text transcribes)"),
    ref_text: str = typer.Option(..., "--ref-text", help="exactly what is said in the clip"),
    ref_lang: str = typer.Option("zh", "--ref-lang", help="language of the clip: zh, en or auto"),
    project: Optional[Path] = typer.Option(None, "--project",
                                           help="save in PROJECT/voices (default: the user voices folder)"),
    hubert: Optional[Path] = typer.Option(None, "--hubert", help="chinese-hubert-base folder (default: pulled models)"),
    bert: Optional[Path] = typer.Option(None, "--bert",
                                        help="chinese-roberta-wwm-ext-large folder (default: pulled models)"),
    models_dir: Optional[Path] = typer.Option(None, "--models-dir", help="where `models pull` put the base models"),
    force: bool = typer.Option(False, "--force", help="replace an existing voice of that name"),
    sv: Optional[Path] = typer.Option(None, "--sv", help="speaker-verification model (default: the one "
                                                         "`models pull --version v2Pro` fetched, if any)"),
    calibrate: bool = typer.Option(True, "--calibrate/--no-calibrate",
                                   help="calibrate the speaker-drift guard (needs the SV model)"),
) -> None:
    """Check a cloned voice completely (files load, clip length, transcript phonemises) and save it."""
    from flows.config.voices import VOICES_DIR, add_voice, default_user_voices_dir

    dest = project / VOICES_DIR if project is not None else default_user_voices_dir()
    profile = add_voice(name, gpt, sovits, ref[0], ref_text, ref_lang, dest, aux_refs=ref[1:], sv_model=sv,
                        hubert_dir=hubert, bert_dir=bert, models_dir=models_dir, overwrite=force, calibrate=calibrate)
    drift = f", drift guard below {profile.drift_threshold:.2f}" if profile.drift_threshold is not None else ""
    typer.echo(f"added voice {profile.name} ({profile.model}{drift}): {profile.source}")


@voice_app.command("test")
def voice_test(
    name: str = typer.Argument(..., help="voice name (voices/NAME.toml)"),
    text: str = typer.Argument(..., help="what to say"),
    out: Path = typer.Option(Path("voice-test.wav"), "--out", "-o", help="WAV file to write"),
    project: Optional[Path] = typer.Option(None, "--project", help="look in PROJECT/voices first"),
    lang: str = typer.Option("auto", "--lang", help="language of TEXT: auto, zh or en"),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda[:N]"),
    precision: str = typer.Option("auto", "--precision",
                                  help="auto (fp16 on CUDA, bf16 GPT + generator on bf16 CPUs), fp32 (the reference), "
                                       "bf16 or fp16"),
) -> None:
    """Say TEXT with voice NAME and write it to a WAV file."""
    from flows.engines.gsv import GSVSettings, GSVSpeed, GSVVoiceEngine, write_wav
    from flows.config.voices import default_user_voices_dir, find_profile, load_profile
    from text_prep.phones.frontend import LANG_CHOICES

    _check_choice(lang, LANG_CHOICES, "--lang")
    profile = load_profile(find_profile(name, project, default_user_voices_dir()))
    engine = GSVVoiceEngine(profile, GSVSettings(precision=precision), GSVSpeed(device=device))
    path = write_wav(out, engine.speak(text, lang))
    typer.echo(f"wrote {path} ({profile.name}, {engine.device.type}, {engine.precision})")


@app.command()
def report(
    project: Path = _project_arg(),
    open_page: bool = typer.Option(True, "--open/--no-open", help="open the page in the default browser"),
) -> None:
    """Write PROJECT/out/report.html from the last render's report.json (and open it)."""
    from flows.config.project import OUT_DIR, REPORT_FILE
    from flows.report.html import write_report_html

    page = write_report_html(project / OUT_DIR / REPORT_FILE, project_ref=str(project))
    typer.echo(str(page))
    if open_page:
        typer.launch(page.resolve().as_uri())


@app.command()
def studio(
    project: Path = _project_arg(),
    port: int = typer.Option(8765, "--port", help="port to listen on"),
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind (beyond loopback, a token guards it)"),
) -> None:
    """Review the book in the browser: listen sentence by sentence, retake, fix text and pronunciation."""
    from flows.studio.server import serve

    serve(project, host, port, typer.echo)


def _not_prefect_internal(record: logging.LogRecord) -> bool:
    """Drop Prefect's service chatter (its service loggers ignore levels; failures reach the CLI as exceptions)."""
    return f"{os.sep}prefect{os.sep}" not in record.pathname


def main() -> None:
    """Entry point: run the app, turning bad-input exceptions into one line and exit code 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_not_prefect_internal)
    try:
        app()   # standalone: Typer prints usage errors itself (one line, exit 2) and exits
    except _user_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


if __name__ == "__main__":
    main()
