"""DeepMag (Chen & McDuff, ACM TOG 2020): magnify one source of change, found by a CNN.

A CNN trained to predict a source's signal (the pulse, or breathing) from a motion or
colour representation of the video says which parts of that representation carry the
source; gradient ascent on the CNN's output then grows those parts only, so head motion
in the same band is left alone.

- :mod:`vmag.deepmag.representation`: the pulse's normalised frame differences of small
  frames, and their inverse.
- :mod:`vmag.deepmag.ascent`: the sign-corrected, L1-normalised gradient ascent.
- :mod:`vmag.deepmag.nets`: the source CNNs (:class:`~vmag.deepmag.nets.PulseNet`).
- :mod:`vmag.deepmag.data`: training pairs from synthetic subjects, split by subject.
"""
