"""WordNet 3.0 for nltk without a download.

Order of preference: ``$XPM_NLTK_DATA`` (an nltk data directory, built there from Debian's files
if it has no WordNet yet); nltk's own ``wordnet`` corpus where ``nltk.download('wordnet')`` put
it; otherwise a corpus built once from Debian's ``wordnet-base`` + ``wordnet-sense-index`` into
the xpm cache. nltk 3.10 refuses corpus roots outside its data directories and does not follow
the Debian layout, so the files are copied (not linked) under ``corpora/wordnet`` of a data
directory that is put on ``nltk.data.path``, with the ``lexnames`` file nltk wants and Debian
does not ship.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from pathlib import Path

from xpm.resources.cache import cache_root
from xpm.resources.errors import MissingResourceError

NLTK_DATA_ENV = "XPM_NLTK_DATA"
DEBIAN_SOURCE_ENV = "XPM_WORDNET_SOURCE"
DEBIAN_WORDNET_DIR = Path("/usr/share/wordnet")
CHECK_SYNSET = "object.n.01"

# The 45 lexicographer files of WordNet 3.0 in file-number order (lexnames(5WN)); nltk reads
# "<number> <name> <syntactic category>" per line and Debian does not ship the file.
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
    "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant "
    "noun.possession noun.process noun.quantity noun.relation noun.shape noun.state "
    "noun.substance noun.time verb.body verb.change verb.cognition verb.communication "
    "verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
# nltk's reader opens these; the sense index comes from Debian's wordnet-sense-index.
REQUIRED_FILES = tuple(
    [f"{kind}.{pos}" for kind in ("index", "data") for pos in ("noun", "verb", "adj", "adv")]
    + [f"{pos}.exc" for pos in ("noun", "verb", "adj", "adv")]
    + ["index.sense"]
)


def _remedy(data_dir: Path) -> str:
    return (
        "WordNet 3.0 is needed to find the object nouns of captions. Either install Debian's "
        "packages (`apt-get install wordnet-base wordnet-sense-index`; xpm then builds an nltk "
        f"corpus from {DEBIAN_WORDNET_DIR} into {data_dir}), or, with internet access, run "
        "`python -c \"import nltk; nltk.download('wordnet')\"`. "
        f"${NLTK_DATA_ENV} chooses another nltk data directory and ${DEBIAN_SOURCE_ENV} another "
        "folder of WordNet dict files."
    )


def _lexnames_text() -> str:
    return "".join(
        f"{number:02d}\t{name}\t{_CATEGORY[name.split('.')[0]]}\n" for number, name in enumerate(LEXNAMES)
    )


def build_corpus(source: Path, data_dir: Path) -> Path:
    """Copy Debian's WordNet dict files into ``data_dir/corpora/wordnet``, atomically.

    Files are copied into a staging folder that is renamed into place only when complete; a
    concurrent builder that wins the rename is simply reused. nltk maps every WordNet it opens
    through the corpus named ``wordnet``, so the check (``object.n.01`` loads) runs in place and
    a corpus that fails it is removed again.
    """
    missing = [name for name in REQUIRED_FILES if not (source / name).is_file()]
    if missing:
        raise MissingResourceError(f"{source} lacks {', '.join(missing)}. " + _remedy(data_dir))
    corpora = data_dir / "corpora"
    corpora.mkdir(parents=True, exist_ok=True)
    final = corpora / "wordnet"
    staging = Path(tempfile.mkdtemp(prefix=".wordnet-", dir=corpora))
    try:
        for entry in source.iterdir():
            if entry.is_file():
                shutil.copyfile(entry, staging / entry.name)
        (staging / "lexnames").write_text(_lexnames_text())
        if not final.exists():
            os.replace(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    try:
        _add_nltk_data_dir(data_dir)
        _open_reader(str(final))
    except Exception as error:
        shutil.rmtree(final, ignore_errors=True)
        raise MissingResourceError(f"WordNet built from {source} does not load ({error}). " + _remedy(data_dir)) from error
    return final


def _open_reader(root):
    import warnings

    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    with warnings.catch_warnings():
        # Only English is used; nltk warns that the multilingual (OMW) functions are absent.
        warnings.simplefilter("ignore", UserWarning)
        reader = WordNetCorpusReader(root, None)
    reader.synset(CHECK_SYNSET)
    return reader


def _add_nltk_data_dir(data_dir: Path) -> None:
    import nltk

    if str(data_dir) not in nltk.data.path:
        nltk.data.path.insert(0, str(data_dir))


def _find_corpus():
    import nltk

    # nltk.download('wordnet') leaves the corpus zipped; nltk's own loader looks inside the zip.
    for name in ("corpora/wordnet", "corpora/wordnet.zip/wordnet/"):
        try:
            return nltk.data.find(name)
        except LookupError:
            continue
    return None


@functools.lru_cache(maxsize=None)
def wordnet_root():
    """The nltk path pointer of a WordNet 3.0 corpus, provisioned offline (see module doc)."""
    import nltk

    source = Path(os.environ.get(DEBIAN_SOURCE_ENV) or DEBIAN_WORDNET_DIR)
    chosen = os.environ.get(NLTK_DATA_ENV)
    data_dir = Path(chosen).expanduser() if chosen else cache_root() / "nltk_data"
    if not chosen:
        root = _find_corpus()
        if root is not None:
            return root
    _add_nltk_data_dir(data_dir)
    root = _find_corpus()
    if root is not None:
        return root
    if not source.is_dir():
        raise MissingResourceError(f"No WordNet corpus for nltk and no {source}. " + _remedy(data_dir))
    build_corpus(source, data_dir)
    return _find_corpus()


@functools.lru_cache(maxsize=None)
def load_wordnet():
    """An nltk ``WordNetCorpusReader`` over the corpus of :func:`wordnet_root` (about 8 s)."""
    return _open_reader(wordnet_root())
