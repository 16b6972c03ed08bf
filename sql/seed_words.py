"""The vocabulary of generated data: names, product words and departments.

Names are ASCII-folded for emails (`ascii_word`), so accents are welcome here.
"""

from __future__ import annotations

import unicodedata


def ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded if c.isalnum())


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST_NAMES = _words("""
Ada Aiko Alan Alice Amara Amir Ana Andrei Anna Aylin Ben Bianca Carlos Chen Chloe Chloé Daniel
Dmitri Elena Emma Erik Fatima Felix Grace Hannah Hiro Inès Isaac Ivan Jack James Jana Javier
Jonas Julia Kai Kenji Lara Leo Liam Lina Lucas Lucía Maya Mei Mia Miguel Nadia Noah Nora Olivia
Omar Oscar Paula Pedro Priya Rafael Rosa Ruth Sam Sara Sofia Sven Tariq Theo Tomás Uma Victor
Wei Yara Yusuf Zoë
""")
LAST_NAMES = _words("""
Adams Ahmed Alvarez Andersen Bauer Becker Brown Campbell Chen Costa Cruz Dubois Eriksen Evans
Fernández Fischer Garcia Gomez Gupta Hansen Harris Hoffmann Ito Jensen Johnson Kim Kowalski
Kumar Larsen Laurent Lee Lopez Martin Meyer Moreau Müller Murphy Nakamura Nguyen Novak O'Brien
Okafor Olsen Park Patel Perez Petrov Popescu Quinn Rossi Santos Sato Schmidt Silva Singh Smith
Suzuki Tanaka Taylor Thomas Torres Wagner Walker Wang Weber Williams Wilson Wong Yamamoto Zhang
""")
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
ADJECTIVES = _words("""
Alpine Artisan Bold Classic Coastal Compact Cozy Deluxe Elegant Essential Everyday Foldable
Handmade Heritage Lightweight Minimalist Modern Nordic Organic Portable Premium Retro Rugged
Rustic Signature Sleek Slim Soft Studio Sturdy Urban Vintage
""")
MATERIALS = _words("""
Aluminium Bamboo Brass Canvas Ceramic Copper Cork Cotton Glass Leather Linen Oak Recycled
Silicone Steel Stone Walnut Wool
""")
QUALIFIERS = ("Kids'", "Outdoor", "Travel", "Vintage", "Eco", "Premium", "Compact", "Studio")
BLURBS = (
    "Ships in plastic-free packaging.",
    "Backed by a two-year warranty.",
    "Designed in-house and tested for everyday use.",
    "A customer favourite since launch.",
    "Easy to clean and built to last.",
    "Pairs well with the rest of our {category} range.",
    "Restocked every month.",
    "Made in small batches.",
    "Free returns within 30 days.",
)
DEPARTMENTS: dict[str, tuple[str, ...]] = {
    name.strip(): tuple(n.strip() for n in nouns.split(","))
    for name, nouns in (
        line.split(":")
        for line in """
Kitchen: Kettle, Toaster, Blender, Skillet, Saucepan, Chef's Knife, Cutting Board, Colander
Coffee & Tea: Coffee Grinder, French Press, Teapot, Espresso Cup, Pour-Over Kit, Tea Tin
Tableware: Dinner Plate, Bowl, Mug, Serving Platter, Wine Glass, Cutlery Set
Bedding: Duvet Cover, Pillow, Fitted Sheet, Throw Blanket, Quilt, Mattress Topper
Bath: Bath Towel, Bath Mat, Shower Curtain, Soap Dish, Bathrobe, Toothbrush Holder
Lighting: Desk Lamp, Floor Lamp, Pendant Light, LED Strip, Night Light, Lantern
Furniture: Armchair, Bookshelf, Side Table, Stool, Desk, Coat Rack
Home Decor: Vase, Picture Frame, Wall Clock, Candle Holder, Mirror, Cushion Cover
Garden: Watering Can, Pruning Shears, Planter, Garden Hose, Trowel, Seed Tray
Tools: Hammer, Screwdriver Set, Tape Measure, Cordless Drill, Spirit Level, Wrench
Electronics: Headphones, Bluetooth Speaker, Power Bank, USB Charger, Webcam, Smart Plug
Computers: Keyboard, Mouse, Monitor Stand, Laptop Sleeve, USB Hub, External Drive
Phones: Phone Case, Screen Protector, Charging Cable, Car Mount, Wireless Charger
Cameras: Camera Bag, Tripod, Lens Cap, Memory Card, Camera Strap, Flash
Audio: Turntable, Earbuds, Amplifier, Microphone, Soundbar, Radio
Gaming: Game Controller, Gaming Headset, Mouse Pad, Controller Stand, Card Game
Books: Cookbook, Novel, Atlas, Field Guide, Poetry Collection, Travel Guide
Stationery: Notebook, Fountain Pen, Pencil Set, Planner, Sticky Notes, Desk Organizer
Art Supplies: Sketchbook, Watercolor Set, Paint Brush, Easel, Canvas Pad, Charcoal Set
Toys: Building Blocks, Jigsaw Puzzle, Plush Bear, Toy Car, Kite, Marble Run
Baby: Baby Blanket, Bib, Rattle, Teething Ring, Baby Monitor, Changing Mat
Pets: Dog Leash, Cat Bed, Pet Bowl, Chew Toy, Scratching Post, Pet Carrier
Sports: Yoga Mat, Dumbbell, Jump Rope, Resistance Band, Water Bottle, Foam Roller
Outdoor: Tent, Sleeping Bag, Camping Stove, Headlamp, Backpack, Hammock
Cycling: Bike Light, Bike Lock, Helmet, Saddle Bag, Tire Pump, Cycling Gloves
Running: Running Belt, Sports Watch, Armband, Reflective Vest, Running Socks
Footwear: Sneakers, Boots, Sandals, Slippers, Loafers, Running Shoes
Clothing: T-Shirt, Hoodie, Jeans, Jacket, Sweater, Scarf
Accessories: Wallet, Belt, Sunglasses, Watch, Umbrella, Tote Bag
Jewelry: Necklace, Ring, Bracelet, Earrings, Pendant, Cufflinks
Beauty: Face Cream, Lip Balm, Hair Brush, Nail Kit, Shampoo, Face Mask
Health: First Aid Kit, Thermometer, Pill Organizer, Heating Pad, Massage Ball
Grocery: Olive Oil, Honey, Granola, Pasta, Hot Sauce, Dark Chocolate
Pantry: Spice Jar, Storage Jar, Bread Bin, Lunch Box, Food Container
Cleaning: Mop, Broom, Dish Brush, Microfiber Cloth, Laundry Basket, Spray Bottle
Storage: Storage Box, Shelf Basket, Drawer Divider, Shoe Rack, Garment Bag
Travel: Suitcase, Packing Cubes, Neck Pillow, Travel Adapter, Passport Holder
Music: Guitar Strings, Ukulele, Capo, Metronome, Harmonica, Drumsticks
Party: Balloons, Party Lights, Gift Wrap, Greeting Card, Paper Napkins
Automotive: Car Vacuum, Seat Cover, Dash Cam, Ice Scraper, Tire Gauge
Office: Office Chair, Desk Mat, Stapler, Paper Tray, Whiteboard, Label Maker
""".strip().splitlines()
    )
}
