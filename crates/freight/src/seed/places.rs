//! Real Austin, TX locations (street addresses with their coordinates, to within a block)
//! used to make the demo organization look like a real metro freight operation.
//! The GPS traces the tracking demo replays come from Austin as well.

/// A named place with an address and WGS84 coordinates.
pub struct Place {
    pub name: &'static str,
    pub address: &'static str,
    pub lat: f64,
    pub lon: f64,
}

const fn place(name: &'static str, address: &'static str, lat: f64, lon: f64) -> Place {
    Place {
        name,
        address,
        lat,
        lon,
    }
}

/// Commercial and industrial sites around the metro area.
pub const PLACES: &[Place] = &[
    place(
        "Texas State Capitol",
        "1100 Congress Ave, Austin, TX 78701",
        30.2747,
        -97.7404,
    ),
    place(
        "Austin-Bergstrom Airport",
        "3600 Presidential Blvd, Austin, TX 78719",
        30.1975,
        -97.6664,
    ),
    place(
        "The Domain",
        "11410 Century Oaks Terrace, Austin, TX 78758",
        30.4020,
        -97.7253,
    ),
    place(
        "Barton Creek Square",
        "2901 S Capital of Texas Hwy, Austin, TX 78746",
        30.2586,
        -97.8078,
    ),
    place(
        "Gigafactory Texas",
        "1 Tesla Rd, Austin, TX 78725",
        30.2222,
        -97.6167,
    ),
    place(
        "Samsung Austin Semiconductor",
        "12100 Samsung Blvd, Austin, TX 78754",
        30.3937,
        -97.6396,
    ),
    place(
        "Dell Children's Medical Center",
        "4900 Mueller Blvd, Austin, TX 78723",
        30.3051,
        -97.7066,
    ),
    place(
        "UT Austin Main Building",
        "110 Inner Campus Dr, Austin, TX 78712",
        30.2862,
        -97.7394,
    ),
    place(
        "Whole Foods Market Lamar",
        "525 N Lamar Blvd, Austin, TX 78703",
        30.2707,
        -97.7532,
    ),
    place(
        "H-E-B Mueller",
        "1801 E 51st St, Austin, TX 78723",
        30.3008,
        -97.7027,
    ),
    place(
        "Circuit of the Americas",
        "9201 Circuit of the Americas Blvd, Austin, TX 78617",
        30.1346,
        -97.6359,
    ),
    place(
        "Southpark Meadows",
        "9500 S IH-35 Frontage Rd, Austin, TX 78748",
        30.1640,
        -97.7885,
    ),
    place(
        "Lakeline Mall",
        "11200 Lakeline Mall Dr, Cedar Park, TX 78613",
        30.4693,
        -97.8075,
    ),
    place(
        "Austin Convention Center",
        "500 E Cesar Chavez St, Austin, TX 78701",
        30.2636,
        -97.7395,
    ),
    place(
        "Zilker Park",
        "2100 Barton Springs Rd, Austin, TX 78746",
        30.2669,
        -97.7729,
    ),
    place(
        "Metropolis Industrial Park",
        "7000 Metropolis Dr, Austin, TX 78744",
        30.2139,
        -97.6902,
    ),
    place(
        "Burleson Road Warehouses",
        "4800 Burleson Rd, Austin, TX 78744",
        30.2040,
        -97.7140,
    ),
    place(
        "Arboretum",
        "10000 Research Blvd, Austin, TX 78759",
        30.3905,
        -97.7474,
    ),
    place(
        "ACC Highland",
        "6101 Airport Blvd, Austin, TX 78752",
        30.3270,
        -97.7120,
    ),
    place(
        "Northcross",
        "2525 W Anderson Ln, Austin, TX 78757",
        30.3570,
        -97.7310,
    ),
    place(
        "Sunset Valley",
        "5601 Brodie Ln, Sunset Valley, TX 78745",
        30.2310,
        -97.8190,
    ),
    place(
        "Hancock Center",
        "1000 E 41st St, Austin, TX 78751",
        30.3001,
        -97.7222,
    ),
    place(
        "South Lamar",
        "3001 S Lamar Blvd, Austin, TX 78704",
        30.2460,
        -97.7790,
    ),
    place(
        "Round Rock Premium Outlets",
        "4401 N IH-35, Round Rock, TX 78664",
        30.5656,
        -97.6889,
    ),
    place(
        "Dell Round Rock Campus",
        "1 Dell Way, Round Rock, TX 78682",
        30.4844,
        -97.6627,
    ),
    place(
        "Seaholm District",
        "800 W Cesar Chavez St, Austin, TX 78701",
        30.2673,
        -97.7526,
    ),
    place(
        "East Cesar Chavez",
        "2000 E Cesar Chavez St, Austin, TX 78702",
        30.2560,
        -97.7240,
    ),
    place(
        "Springdale Industrial",
        "1023 Springdale Rd, Austin, TX 78721",
        30.2630,
        -97.6940,
    ),
    place(
        "St. David's Medical Center",
        "919 E 32nd St, Austin, TX 78705",
        30.2910,
        -97.7250,
    ),
    place(
        "Q2 Stadium",
        "10414 McKalla Pl, Austin, TX 78758",
        30.3880,
        -97.7194,
    ),
    place(
        "Moody Center",
        "2001 Robert Dedman Dr, Austin, TX 78712",
        30.2810,
        -97.7320,
    ),
    place(
        "Oak Hill",
        "6705 W US-290, Austin, TX 78735",
        30.2350,
        -97.8600,
    ),
    place(
        "Pflugerville Downtown",
        "100 E Main St, Pflugerville, TX 78660",
        30.4394,
        -97.6200,
    ),
    place(
        "South Congress",
        "1300 S Congress Ave, Austin, TX 78704",
        30.2500,
        -97.7490,
    ),
    place(
        "Riverside Drive",
        "1801 E Riverside Dr, Austin, TX 78741",
        30.2400,
        -97.7300,
    ),
    place(
        "Westlake",
        "3300 Bee Caves Rd, Austin, TX 78746",
        30.2740,
        -97.7960,
    ),
    place(
        "Tech Ridge",
        "12800 N IH-35, Austin, TX 78753",
        30.4080,
        -97.6720,
    ),
    place(
        "Parmer Lane Campus",
        "5505 W Parmer Ln, Austin, TX 78727",
        30.4290,
        -97.7410,
    ),
    place(
        "Manor Road",
        "3000 Manor Rd, Austin, TX 78723",
        30.2870,
        -97.7060,
    ),
    place(
        "Slaughter Lane",
        "1500 W Slaughter Ln, Austin, TX 78748",
        30.1740,
        -97.8150,
    ),
];

/// Fictional shippers (names) and the real place each ships from (index into `PLACES`).
pub const CUSTOMERS: &[(&str, usize)] = &[
    ("Hill Country Provisions", 16),
    ("Barton Springs Brewing Co.", 22),
    ("Lone Star Medical Supply", 28),
    ("Capitol City Hardware", 18),
    ("Eastside Coffee Roasters", 26),
    ("Colorado River Furniture", 15),
    ("Zilker Outdoor Outfitters", 14),
    ("Pecan Street Electronics", 5),
    ("Riverside Auto Parts", 34),
    ("Bluebonnet Floral Wholesale", 27),
    ("Mueller Market Grocers", 9),
    ("Domain Tech Distribution", 2),
    ("South Congress Apparel", 33),
    ("Travis County Print Works", 19),
    ("Bee Cave Building Supply", 35),
    ("Red River Music Gear", 13),
    ("Lady Bird Organics", 8),
    ("Shoal Creek Pharmacy", 21),
    ("Walnut Creek Pet Supply", 36),
    ("Onion Creek Beverage", 39),
];

pub const FIRST_NAMES: &[&str] = &[
    "Maria", "James", "Sofia", "Luis", "Aisha", "Daniel", "Mei", "Carlos", "Grace", "Andre",
    "Priya", "Tom", "Elena", "Marcus", "Hana", "Diego", "Rachel", "Kofi", "Lena", "Omar", "Jade",
    "Victor", "Nina", "Sam", "Rosa",
];

pub const LAST_NAMES: &[&str] = &[
    "Garcia",
    "Johnson",
    "Nguyen",
    "Martinez",
    "Okafor",
    "Smith",
    "Chen",
    "Hernandez",
    "Patel",
    "Williams",
    "Lopez",
    "Brown",
    "Kim",
    "Davis",
    "Rodriguez",
    "Wilson",
    "Singh",
    "Moore",
    "Torres",
    "Clark",
];
