"""StreamSMOTE's Python client: publish labeled events to ``streamsmote run`` and train on
its balanced output.

::

    from streamsmote import Feed, Publisher

    with Publisher("tcp://127.0.0.1:5555") as pub:          # streamsmote run --sub tcp://127.0.0.1:5555
        pub.wait_for_subscribers(timeout=30)
        pub.send(id="tx-1", label="legit", features=[0.3, 1.2])

    with Feed("tcp://127.0.0.1:5556", timeout=10) as feed:  # the daemon's --pub
        for x, y in feed.xy():
            model.learn_one(x, y)
"""
from .codec import CODECS, Codec, DecodeError, JSONCodec, ProtobufCodec, get_codec
from .feed import Feed
from .publisher import Publisher
from .sample import Origin, Sample
from .training import Batch, batches, partial_fit

__version__ = "0.1.0"

__all__ = ["Publisher", "Feed", "Sample", "Origin", "Batch", "batches", "partial_fit", "Codec", "JSONCodec",
           "ProtobufCodec", "DecodeError", "get_codec", "CODECS", "__version__"]
