//! Word lists: company names, streets, cities and products.

use crate::rng::Rng;
use crate::{Country, Language, ProductFamily};

/// A company name and its legal form.
pub(crate) fn company_name(country: Country, rng: &mut Rng) -> String {
    let (people, trades, forms, pattern): (&[&str], &[&str], &[&str], u8) = match country {
        Country::De => (
            &[
                "Müller",
                "Schneider",
                "Becker",
                "Hoffmann",
                "Schäfer",
                "Krüger",
                "Weiß",
                "Köhler",
                "Wagner",
                "Neumann",
            ],
            &[
                "Bürotechnik",
                "Büromöbel",
                "Logistik",
                "Software",
                "Druckerei",
                "Handelsgesellschaft",
                "Objekteinrichtung",
            ],
            &["GmbH", "GmbH", "GmbH & Co. KG", "AG"],
            0,
        ),
        Country::Ch => (
            &[
                "Brunner", "Keller", "Meier", "Steiner", "Zürcher", "Baumann",
            ],
            &[
                "Büromöbel",
                "Informatik",
                "Bürobedarf",
                "Treuhand",
                "Logistik",
            ],
            &["AG", "GmbH"],
            0,
        ),
        Country::Fr => (
            &[
                "Dubois", "Lefèvre", "Mercier", "Girard", "Bonnet", "Fournier", "Moreau",
                "Rousseau",
            ],
            &[
                "Mobilier",
                "Informatique",
                "Fournitures",
                "Conseil",
                "Bureautique",
                "Transports",
            ],
            &["SARL", "SAS", "SA"],
            1,
        ),
        Country::Nl => (
            &[
                "Van der Berg",
                "De Vries",
                "Jansen",
                "Bakker",
                "Visser",
                "Smit",
                "De Jong",
            ],
            &[
                "Kantoorinrichting",
                "Logistiek",
                "ICT Diensten",
                "Kantoorartikelen",
                "Advies",
            ],
            &["B.V.", "B.V.", "N.V."],
            0,
        ),
        Country::Es => (
            &[
                "García",
                "Fernández",
                "López",
                "Martínez",
                "Sánchez",
                "Romero",
                "Navarro",
            ],
            &[
                "Suministros",
                "Muebles",
                "Informática",
                "Distribuciones",
                "Servicios",
            ],
            &["S.L.", "S.L.", "S.A."],
            1,
        ),
        Country::It => (
            &[
                "Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Conti",
            ],
            &[
                "Arredamenti",
                "Forniture",
                "Informatica",
                "Servizi",
                "Cartotecnica",
            ],
            &["S.r.l.", "S.r.l.", "S.p.A."],
            1,
        ),
        Country::Gb => (
            &[
                "Hartley",
                "Pennine",
                "Ashford",
                "Whitmore",
                "Calder",
                "Thornbury",
                "Kingsley",
            ],
            &[
                "Office Supplies",
                "Furniture",
                "IT Services",
                "Logistics",
                "Consulting",
            ],
            &["Ltd", "Ltd", "Limited", "PLC"],
            0,
        ),
        Country::Us => (
            &[
                "Bluewater",
                "Redwood",
                "Summit",
                "Lakeside",
                "Ironbridge",
                "Cedar Point",
            ],
            &["Supply", "Office Solutions", "Technologies", "Furniture"],
            &["Inc.", "LLC", "Corp."],
            0,
        ),
    };
    let person = rng.pick(people);
    let trade = rng.pick(trades);
    let form = rng.pick(forms);
    if pattern == 1 || rng.chance(0.25) {
        format!("{trade} {person} {form}")
    } else {
        format!("{person} {trade} {form}")
    }
}

/// A street address in a city.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    pub street: String,
    pub postal_code: &'static str,
    pub city: &'static str,
    /// A state or province code, where addresses carry one.
    pub subdivision: Option<&'static str>,
}

/// Postal code, city and state or province.
type City = (&'static str, &'static str, Option<&'static str>);

pub(crate) fn place(country: Country, rng: &mut Rng) -> Place {
    let n = rng.int(1..=180);
    let (streets, cities): (&[&str], &[City]) = match country {
        Country::De => (
            &[
                "Hauptstraße",
                "Bahnhofstraße",
                "Lindenweg",
                "Industriestraße",
                "Gartenstraße",
                "Schillerstraße",
            ],
            &[
                ("10115", "Berlin", None),
                ("80331", "München", None),
                ("20095", "Hamburg", None),
                ("50667", "Köln", None),
                ("60311", "Frankfurt am Main", None),
                ("70173", "Stuttgart", None),
                ("04109", "Leipzig", None),
                ("90402", "Nürnberg", None),
            ],
        ),
        Country::Ch => (
            &[
                "Bahnhofstrasse",
                "Seestrasse",
                "Dorfstrasse",
                "Industriestrasse",
            ],
            &[
                ("8001", "Zürich", None),
                ("3011", "Bern", None),
                ("4051", "Basel", None),
                ("6003", "Luzern", None),
            ],
        ),
        Country::Fr => (
            &[
                "rue de la République",
                "avenue Victor Hugo",
                "boulevard Voltaire",
                "rue des Lilas",
                "place de la Gare",
            ],
            &[
                ("75002", "Paris", None),
                ("69002", "Lyon", None),
                ("13001", "Marseille", None),
                ("31000", "Toulouse", None),
                ("44000", "Nantes", None),
                ("33000", "Bordeaux", None),
            ],
        ),
        Country::Nl => (
            &[
                "Keizersgracht",
                "Stationsweg",
                "Kerkstraat",
                "Industrieweg",
                "Marktplein",
            ],
            &[
                ("1015 CJ", "Amsterdam", None),
                ("3011 AD", "Rotterdam", None),
                ("2511 BT", "Den Haag", None),
                ("3511 LN", "Utrecht", None),
                ("5611 AZ", "Eindhoven", None),
            ],
        ),
        Country::Es => (
            &[
                "Calle Mayor",
                "Avenida de la Constitución",
                "Paseo de Gracia",
                "Calle de Alcalá",
                "Gran Vía",
            ],
            &[
                ("28013", "Madrid", None),
                ("08007", "Barcelona", None),
                ("46002", "Valencia", None),
                ("41001", "Sevilla", None),
                ("48001", "Bilbao", None),
            ],
        ),
        Country::It => (
            &[
                "Via Roma",
                "Corso Vittorio Emanuele II",
                "Piazza Garibaldi",
                "Via Dante",
                "Viale Europa",
            ],
            &[
                ("20121", "Milano", None),
                ("00184", "Roma", None),
                ("10121", "Torino", None),
                ("50123", "Firenze", None),
                ("40121", "Bologna", None),
            ],
        ),
        Country::Gb => (
            &[
                "High Street",
                "Station Road",
                "Church Lane",
                "Victoria Road",
                "Mill Lane",
            ],
            &[
                ("EC1A 1BB", "London", None),
                ("M1 1AE", "Manchester", None),
                ("LS1 4DY", "Leeds", None),
                ("BS1 4ST", "Bristol", None),
                ("EH1 1YZ", "Edinburgh", None),
            ],
        ),
        Country::Us => (
            &[
                "Market Street",
                "Oak Avenue",
                "Main Street",
                "Commerce Drive",
                "Lake Shore Drive",
            ],
            &[
                ("94103", "San Francisco", Some("CA")),
                ("78701", "Austin", Some("TX")),
                ("60601", "Chicago", Some("IL")),
                ("80202", "Denver", Some("CO")),
                ("10001", "New York", Some("NY")),
            ],
        ),
    };
    let street = rng.pick(streets);
    let (postal_code, city, subdivision) = *rng.pick(cities);
    // House numbers come before the street name in FR, GB and US addresses.
    let street = match country {
        Country::Fr | Country::Gb => format!("{n} {street}"),
        Country::Us => format!("{} {street}", n * 10),
        Country::Es => format!("{street}, {n}"),
        _ => format!("{street} {n}"),
    };
    Place {
        street,
        postal_code,
        city,
        subdivision,
    }
}

/// The lines of an address block below the name.
pub(crate) fn address_lines(country: Country, place: &Place) -> Vec<String> {
    let city_line = match country {
        Country::Gb => {
            return vec![
                place.street.clone(),
                place.city.into(),
                place.postal_code.into(),
            ];
        }
        Country::Us => format!(
            "{}, {} {}",
            place.city,
            place.subdivision.unwrap_or_default(),
            place.postal_code
        ),
        _ => format!("{} {}", place.postal_code, place.city),
    };
    vec![place.street.clone(), city_line]
}

/// A product: its name in each language (EN, DE, FR, NL, ES, IT), price range in cents and
/// whether quantities are hours with fractions.
pub(crate) struct Product {
    pub family: ProductFamily,
    pub names: [&'static str; 6],
    pub price_cents: (i64, i64),
    pub hours: bool,
    /// Taxed at the reduced rate where the country has one (books).
    pub reduced: bool,
}

impl Product {
    pub fn name(&self, language: Language) -> &'static str {
        self.names[language as usize]
    }
}

const fn p(
    family: ProductFamily,
    names: [&'static str; 6],
    lo: i64,
    hi: i64,
    hours: bool,
    reduced: bool,
) -> Product {
    Product {
        family,
        names,
        price_cents: (lo, hi),
        hours,
        reduced,
    }
}

use ProductFamily::*;

pub(crate) static PRODUCTS: &[Product] = &[
    p(
        OfficeChairs,
        [
            "Office chair Ergo Plus",
            "Bürostuhl Ergo Plus",
            "Chaise de bureau Ergo Plus",
            "Bureaustoel Ergo Plus",
            "Silla de oficina Ergo Plus",
            "Sedia da ufficio Ergo Plus",
        ],
        14900,
        49900,
        false,
        false,
    ),
    p(
        OfficeChairs,
        [
            "Swivel office chair with armrests",
            "Drehstuhl mit Armlehnen",
            "Fauteuil de bureau pivotant",
            "Draaibare bureaustoel met armleuningen",
            "Silla giratoria con reposabrazos",
            "Sedia girevole con braccioli",
        ],
        12900,
        39900,
        false,
        false,
    ),
    p(
        OfficeChairs,
        [
            "Mesh back office chair",
            "Bürostuhl mit Netzrücken",
            "Chaise de bureau dossier résille",
            "Bureaustoel met netrug",
            "Silla de oficina respaldo de malla",
            "Sedia da ufficio schienale in rete",
        ],
        9900,
        29900,
        false,
        false,
    ),
    p(
        OfficeChairs,
        [
            "Conference chair, stackable",
            "Konferenzstuhl, stapelbar",
            "Chaise de conférence empilable",
            "Vergaderstoel, stapelbaar",
            "Silla de conferencia apilable",
            "Sedia per conferenze impilabile",
        ],
        4900,
        12900,
        false,
        false,
    ),
    p(
        OfficeChairs,
        [
            "Castors for office chairs (set of 5)",
            "Rollen für Bürostühle (5 Stück)",
            "Roulettes pour chaises de bureau (5)",
            "Wielen voor bureaustoelen (set van 5)",
            "Ruedas para sillas de oficina (5 uds.)",
            "Ruote per sedie da ufficio (5 pz.)",
        ],
        1490,
        3990,
        false,
        false,
    ),
    p(
        Furniture,
        [
            "Height-adjustable desk 160x80",
            "Höhenverstellbarer Schreibtisch 160x80",
            "Bureau réglable en hauteur 160x80",
            "Zit-sta bureau 160x80",
            "Mesa elevable 160x80",
            "Scrivania regolabile 160x80",
        ],
        39900,
        89900,
        false,
        false,
    ),
    p(
        Furniture,
        [
            "Mobile pedestal, 3 drawers",
            "Rollcontainer mit 3 Schubladen",
            "Caisson mobile 3 tiroirs",
            "Ladeblok met 3 laden",
            "Cajonera con 3 cajones",
            "Cassettiera con 3 cassetti",
        ],
        12900,
        24900,
        false,
        false,
    ),
    p(
        Furniture,
        [
            "LED desk lamp",
            "LED-Schreibtischleuchte",
            "Lampe de bureau LED",
            "Bureaulamp LED",
            "Lámpara de escritorio LED",
            "Lampada da scrivania LED",
        ],
        2990,
        8990,
        false,
        false,
    ),
    p(
        Supplies,
        [
            "Copy paper A4 80 g (500 sheets)",
            "Kopierpapier A4 80 g (500 Blatt)",
            "Papier A4 80 g (500 feuilles)",
            "Kopieerpapier A4 80 g (500 vel)",
            "Papel A4 80 g (500 hojas)",
            "Carta A4 80 g (500 fogli)",
        ],
        399,
        699,
        false,
        false,
    ),
    p(
        Supplies,
        [
            "Toner cartridge, black",
            "Tonerkartusche schwarz",
            "Cartouche de toner noir",
            "Tonercartridge zwart",
            "Cartucho de tóner negro",
            "Cartuccia toner nero",
        ],
        4990,
        12990,
        false,
        false,
    ),
    p(
        Supplies,
        [
            "Ballpoint pens, blue (box of 50)",
            "Kugelschreiber blau (50 Stück)",
            "Stylos bille bleus (boîte de 50)",
            "Balpennen blauw (doos van 50)",
            "Bolígrafos azules (caja de 50)",
            "Penne a sfera blu (50 pz.)",
        ],
        990,
        2490,
        false,
        false,
    ),
    p(
        Supplies,
        [
            "Lever arch files A4",
            "Ordner A4 breit",
            "Classeurs à levier A4",
            "Ordners A4",
            "Archivadores de palanca A4",
            "Raccoglitori a leva A4",
        ],
        249,
        599,
        false,
        false,
    ),
    p(
        It,
        [
            "Monitor 27 inch QHD",
            "Monitor 27 Zoll QHD",
            "Écran 27 pouces QHD",
            "Monitor 27 inch QHD",
            "Monitor de 27 pulgadas QHD",
            "Monitor 27 pollici QHD",
        ],
        22900,
        45900,
        false,
        false,
    ),
    p(
        It,
        [
            "USB-C docking station",
            "USB-C-Dockingstation",
            "Station d'accueil USB-C",
            "USB-C-dockingstation",
            "Base de conexión USB-C",
            "Docking station USB-C",
        ],
        11900,
        24900,
        false,
        false,
    ),
    p(
        It,
        [
            "Wireless keyboard and mouse",
            "Funktastatur mit Maus",
            "Clavier et souris sans fil",
            "Draadloos toetsenbord en muis",
            "Teclado y ratón inalámbricos",
            "Tastiera e mouse wireless",
        ],
        3990,
        8990,
        false,
        false,
    ),
    p(
        It,
        [
            "Software licence (annual)",
            "Softwarelizenz (jährlich)",
            "Licence logicielle (annuelle)",
            "Softwarelicentie (jaarlijks)",
            "Licencia de software (anual)",
            "Licenza software (annuale)",
        ],
        9900,
        59900,
        false,
        false,
    ),
    p(
        Services,
        [
            "Consulting services",
            "Beratungsleistung",
            "Prestation de conseil",
            "Advieswerkzaamheden",
            "Servicios de consultoría",
            "Servizi di consulenza",
        ],
        8500,
        16500,
        true,
        false,
    ),
    p(
        Services,
        [
            "On-site installation",
            "Montage vor Ort",
            "Installation sur site",
            "Installatie op locatie",
            "Instalación in situ",
            "Installazione in loco",
        ],
        5500,
        9500,
        true,
        false,
    ),
    p(
        Services,
        [
            "Delivery and freight",
            "Lieferung und Fracht",
            "Livraison et transport",
            "Levering en vracht",
            "Envío y transporte",
            "Consegna e trasporto",
        ],
        1990,
        14900,
        false,
        false,
    ),
    p(
        Services,
        [
            "Maintenance contract (monthly)",
            "Wartungsvertrag (monatlich)",
            "Contrat de maintenance (mensuel)",
            "Onderhoudscontract (maandelijks)",
            "Contrato de mantenimiento (mensual)",
            "Contratto di manutenzione (mensile)",
        ],
        4900,
        29900,
        false,
        false,
    ),
    p(
        Books,
        [
            "Book: Ergonomics at the Workplace",
            "Fachbuch Ergonomie am Arbeitsplatz",
            "Livre : L'ergonomie au bureau",
            "Boek: Ergonomie op de werkplek",
            "Libro: Ergonomía en la oficina",
            "Libro: Ergonomia in ufficio",
        ],
        1990,
        4990,
        false,
        true,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_products() {
        for family in ProductFamily::ALL {
            assert!(PRODUCTS.iter().any(|p| p.family == family), "{family:?}");
        }
    }
}
