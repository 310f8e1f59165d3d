"""Everything a figure or a widget is made of, shared by the chapters.

- ``style``: the house style, figure creation and the glue that places a figure on a page;
- ``panels``: reusable panels (margins by token, landscapes, trajectories);
- ``widgets``: the frame every chapter widget is built in;
- ``gallery``: the registry of every figure and widget of the book.

``viz`` never imports a model: panels take computed arrays.
"""
