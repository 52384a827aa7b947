#!/usr/bin/env python3
"""Renders a tmux pane captured with `capture-pane -e -p` (text with ANSI colours) to a PNG,
through the pyte terminal emulator, so screenshots/ shows the real screen as a terminal drew it.

usage: ansi_to_png.py WIDTH HEIGHT OUTPUT.png < capture.ansi
"""
import sys

import pyte
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
PALETTE = {
    "black": (30, 30, 30), "red": (224, 82, 82), "green": (90, 200, 110), "brown": (230, 190, 80),
    "yellow": (230, 190, 80), "blue": (90, 140, 230), "magenta": (200, 110, 200), "cyan": (80, 200, 210),
    "white": (220, 220, 220), "brightblack": (120, 120, 120), "brightred": (255, 110, 110),
    "brightgreen": (120, 230, 140), "brightyellow": (255, 220, 110), "brightblue": (120, 170, 255),
    "brightmagenta": (230, 140, 230), "brightcyan": (120, 230, 240), "brightwhite": (255, 255, 255),
}
BACKGROUND = (18, 18, 24)
FOREGROUND = (215, 215, 215)


def colour(name, default):
    if name == "default":
        return default
    if name in PALETTE:
        return PALETTE[name]
    try:
        return tuple(int(name[i:i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return default


def main():
    width, height, output = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    screen = pyte.Screen(width, height)
    stream = pyte.Stream(screen)
    # capture-pane ends lines with \n only; a terminal needs \r\n.
    # The final newline is dropped so that the last row does not scroll the first one away.
    stream.feed(sys.stdin.read().rstrip("\n").replace("\n", "\r\n"))
    regular = ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", 15)
    bold = ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Bold.ttf", 15)
    cell_w = int(regular.getlength("M"))
    cell_h = 19
    image = Image.new("RGB", (width * cell_w + 16, height * cell_h + 16), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        row = screen.buffer[y]
        for x in range(width):
            char = row[x]
            fg = colour(char.fg, FOREGROUND)
            bg = colour(char.bg, BACKGROUND)
            if char.reverse:
                fg, bg = (bg if bg != BACKGROUND else (30, 30, 30)), (fg if fg != FOREGROUND else FOREGROUND)
            left, top = 8 + x * cell_w, 8 + y * cell_h
            if bg != BACKGROUND:
                draw.rectangle([left, top, left + cell_w, top + cell_h], fill=bg)
            if char.data.strip():
                draw.text((left, top + 1), char.data, font=bold if char.bold else regular, fill=fg)
    image.save(output)


if __name__ == "__main__":
    main()
