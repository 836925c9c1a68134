#!/usr/bin/env python3
"""Invoices laid out by other people's generators, with their truth, for `doxin eval`.

The rules were never written against these layouts: three invoice generators draw the pages
(from PyPI, InvoiceGenerator 1.2.0, reportlab, a Czech-born boxed layout in English, Czech and
Brazilian Portuguese, and PyInvoice 0.1.7, reportlab tables with key/value party blocks; from
npm, microinvoice 1.0.6, PDFKit, a designed layout whose labels the user writes), and this
script only chooses the data (seeded, so a run is repeatable) and writes what the page must say
as `<stem>.expected.json` beside each PDF, in the layout of `../shared/eval`.

    scripts/third-party-invoices.sh OUT [COUNT_PER_GENERATOR] [SEED]
    doxin eval OUT --json --misses 100000

Run it through the shell wrapper, which installs the two generators into a virtual
environment of their own; nothing of theirs is committed or linked into DoxIn. InvoiceGenerator's
file names carry the page's language (en, cs, pt): DoxIn's vocabulary covers English, not
Czech or Portuguese.
"""

import datetime
import json
import os
import random
import subprocess
import sys
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

# Invented parties: name, street, postal code, city, country code, VAT id prefix.
# (A seller charges its own country's rates: RATES.)
SELLERS = [
    ("Brightline Analytics Ltd", "14 Harbour Road", "BS1 5TY", "Bristol", "GB", "GB"),
    ("Nordwerk Maschinenbau GmbH", "Industriestraße 42", "70565", "Stuttgart", "DE", "DE"),
    ("Kovárna Horák s.r.o.", "Průmyslová 1187", "530 02", "Pardubice", "CZ", "CZ"),
    ("Atelier Lumière SARL", "12 rue des Tanneurs", "69002", "Lyon", "FR", "FR"),
    ("Pinecrest Software Inc.", "2200 Market Street", "94114", "San Francisco", "US", None),
    ("Van Dijk Logistiek B.V.", "Havenweg 8", "3011 AB", "Rotterdam", "NL", "NL"),
    ("Greenfield Office Supply Co.", "77 Lakeview Drive", "60601", "Chicago", "US", None),
    ("Stahlbau Reiter AG", "Bahnhofplatz 3", "8001", "Zürich", "CH", "CHE"),
]
RATES = {
    "GB": [20, 5], "DE": [19, 7], "CZ": [21, 12], "FR": [20, 10], "US": [7, 8],
    "NL": [21, 9], "CH": [8.1, 2.6],
}
BUYERS = [
    ("Meridian Health Partners", "400 Elm Avenue", "02139", "Cambridge", "US"),
    ("Bäckerei Sonnenschein KG", "Lindenallee 5", "50667", "Köln", "DE"),
    ("Stavby Novák a.s.", "Nádražní 45", "602 00", "Brno", "CZ"),
    ("Harlow & Finch LLP", "3 Queen Square", "WC1N 3AR", "London", "GB"),
    ("Cooperativa Agrícola Vale Verde", "Rua das Flores 210", "01310-100", "São Paulo", "BR"),
    ("Hôtel du Parc SAS", "8 avenue Foch", "75116", "Paris", "FR"),
]
ITEMS = [
    ("Consulting services", "h"), ("Website maintenance", "h"), ("Steel bracket 40 mm", "pcs"),
    ("Printer paper A4, 500 sheets", "pcs"), ("Software licence, annual", "pcs"),
    ("Freight Rotterdam - Hamburg", "pcs"), ("Training workshop", "day"),
    ("Hydraulic hose 2 m", "pcs"), ("Cloud hosting, monthly", "pcs"), ("Installation", "h"),
    ("Ergonomic office chair", "pcs"), ("Database migration", "h"),
]
# PyInvoice prints an item's name (cut at 18 characters) and its description in two columns.
NAMED_ITEMS = [
    ("Hosting plan", "Cloud hosting, monthly, EU region"),
    ("Support hours", "Priority support by phone and e-mail"),
    ("Office chair", "Ergonomic office chair with armrests"),
    ("Steel bracket", "Galvanised steel bracket 40 mm"),
    ("Paper A4", "Printer paper A4, 80 g, 500 sheets"),
    ("Licence", "Software licence, annual subscription"),
    ("Freight", "Freight Rotterdam - Hamburg, one pallet"),
    ("Workshop", "Training workshop, one day on site"),
]
CENT = Decimal("0.01")


def money(value, rounding=ROUND_HALF_UP):
    return str(Decimal(value).quantize(CENT, rounding=rounding))


def printed(value):
    """An amount as InvoiceGenerator prints it: Babel rounds half to even."""
    return money(value, ROUND_HALF_EVEN)


def vat_id(rng, prefix):
    """A VAT id of the seller's country that passes that country's check-digit test."""
    while True:
        body = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        text = "".join(map(str, body))
        if prefix == "DE":  # ISO 7064 MOD 11,10
            product = 10
            for d in body:
                total = (d + product) % 10 or 10
                product = (2 * total) % 11
            return "DE%s%d" % (text, (11 - product) % 10)
        if prefix == "FR":  # key over the 9-digit SIREN
            siren = int(text + str(rng.randint(0, 9)))
            return "FR%02d%09d" % ((12 + 3 * (siren % 97)) % 97, siren)
        if prefix == "NL":  # 9 digits, weights 9..2, remainder mod 11
            check = sum(w * d for w, d in zip(range(9, 1, -1), body)) % 11
            if check < 10:
                return "NL%s%dB01" % (text, check)
        elif prefix == "CHE":  # 8 digits, weights 5 4 3 2 7 6 5 4, mod 11
            check = 11 - sum(w * d for w, d in zip((5, 4, 3, 2, 7, 6, 5, 4), body)) % 11
            if check < 10:
                return "CHE%s%d" % (text, check % 11)
            if check == 11:
                return "CHE%s0" % text
        elif prefix is None:
            return None
        else:  # GB and CZ have no check digits
            return prefix + text + str(rng.randint(0, 9))


def party_truth(name, street, postal, city, country, vat=None):
    party = {
        "name": name,
        "address": {"line1": street, "city": city, "postal_code": postal, "country": country},
    }
    if vat:
        party["vat_id"] = vat
    return party


def write_truth(out, stem, document, fields):
    truth = {
        "documents": [document],
        "truth": "generated",
        "truth_note": "the data this script handed to the generator that drew the page",
        "fields": fields,
    }
    with open(os.path.join(out, stem + ".expected.json"), "w", encoding="utf-8") as f:
        json.dump(truth, f, ensure_ascii=False, indent=1)


def choose_lines(rng, count_range, with_fractions):
    lines = []
    for name, unit in rng.sample(ITEMS, rng.randint(*count_range)):
        quantity = Decimal(rng.randint(1, 40))
        if with_fractions and unit == "h" and rng.random() < 0.5:
            quantity += Decimal("0.5")
        price = Decimal(rng.randint(150, 250000)) / 100
        lines.append((name, unit, quantity, price))
    return lines


def invoice_generator(out, index, rng):
    """InvoiceGenerator's SimpleInvoice: boxed provider/customer, dates, items, VAT breakdown."""
    from InvoiceGenerator.api import Client, Creator, Invoice, Item, Provider
    from InvoiceGenerator.pdf import SimpleInvoice

    # Mostly English pages (in three currency styles), some Czech and Brazilian Portuguese.
    lang, locale_name, currency = rng.choices(
        [("en", "en_US", "USD"), ("en", "en_GB", "GBP"), ("en", "de_DE", "EUR"),
         ("cs", "cs_CZ", "CZK"), ("pt_BR", "pt_BR", "BRL")],
        weights=[2, 2, 2, 1, 1],
    )[0]
    os.environ["INVOICE_LANG"] = lang
    s_name, s_street, s_postal, s_city, s_country, s_prefix = rng.choice(SELLERS)
    b_name, b_street, b_postal, b_city, b_country = rng.choice(BUYERS)
    s_vat = vat_id(rng, s_prefix)
    provider = Provider(s_name, address=s_street, zip_code=s_postal, city=s_city,
                        bank_account=str(rng.randint(10**8, 10**10)), bank_code="0800",
                        vat_id=s_vat or "")
    client = Client(b_name, address=b_street, zip_code=b_postal, city=b_city)
    invoice = Invoice(client, provider, Creator(rng.choice(["Jana Horáková", "Tom Baker", "Ana Lima"])))
    invoice.currency_locale = locale_name + ".UTF-8"
    invoice.currency = currency
    invoice.use_tax = rng.random() < 0.75
    invoice.number = "%d%04d" % (rng.choice([2024, 2025, 2026]), index + 1)
    issue = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randint(0, 330))
    invoice.date = issue
    invoice.payback = issue + datetime.timedelta(days=rng.choice([14, 30]))
    invoice.variable_symbol = invoice.number
    # The generator prints a line's rate without decimals ("8 %" for 8.1 %): whole rates only.
    whole = [r for r in RATES[s_country] if r == int(r)]
    invoice.use_tax = invoice.use_tax and bool(whole)
    rate = Decimal(rng.choice(whole)) if invoice.use_tax else Decimal(0)
    # The generator writes quantities with Python's locale module, which here is "C": a
    # fraction is "20.50" whatever the currency's locale, so fractions only where "." is the
    # decimal mark anyway.
    lines = choose_lines(rng, (1, 6), locale_name.startswith("en_"))
    for name, unit, quantity, price in lines:
        invoice.add_item(Item(quantity, price, description=name, unit=unit, tax=rate))

    document = "invoicegenerator_%s_%03d.pdf" % (lang.split("_")[0], index)
    import locale as pylocale
    try:
        pylocale.setlocale(pylocale.LC_ALL, "C.UTF-8")
    except pylocale.Error:
        pass
    SimpleInvoice(invoice).gen(os.path.join(out, document))

    # Totals are sums of the unrounded line amounts, each rounded only where printed.
    net, gross = invoice.price, invoice.price_tax if invoice.use_tax else invoice.price
    fields = {
        "invoice_id": invoice.number,
        "issue_date": issue.isoformat(),
        "due_date": invoice.payback.isoformat(),
        "currency": currency,
        "seller": party_truth(s_name, s_street, s_postal, s_city, s_country, s_vat),
        "buyer": party_truth(b_name, b_street, b_postal, b_city, b_country),
        "totals": {"tax_inclusive_amount": printed(gross)},
        "lines": [
            {"description": name, "quantity": str(q), "unit_price": printed(p),
             "line_amount": printed(q * p)}
            for name, _, q, p in lines
        ],
    }
    if invoice.use_tax:
        fields["totals"]["tax_exclusive_amount"] = printed(net)
        fields["totals"]["tax_amount"] = printed(gross - net)
        for line in fields["lines"]:
            line["vat_rate"] = money(rate)
    # Neither the buyer's country nor the seller's is printed: score what the page shows.
    for party in ("seller", "buyer"):
        fields[party]["address"].pop("country")
    write_truth(out, document.rsplit(".", 1)[0], document, fields)


def pyinvoice(out, index, rng):
    """PyInvoice's SimpleInvoice: key/value tables for the parties, one items table with sums."""
    from pyinvoice.models import ClientInfo, InvoiceInfo, Item, ServiceProviderInfo
    from pyinvoice.templates import SimpleInvoice

    # PyInvoice sets the parties in Helvetica, whose encoding (WinAnsi) has no "ř" or "ů": the
    # page would show a box, not what the truth says. Parties it can print only.
    def printable(party):
        return all(str(part).encode("cp1252", "ignore").decode("cp1252") == str(part)
                   for part in party)

    s_name, s_street, s_postal, s_city, s_country, s_prefix = rng.choice(
        [p for p in SELLERS if printable(p[:4])])
    b_name, b_street, b_postal, b_city, b_country = rng.choice(
        [p for p in BUYERS if printable(p[:4])])
    s_vat = vat_id(rng, s_prefix)
    document = "pyinvoice_%03d.pdf" % index
    doc = SimpleInvoice(os.path.join(out, document))
    number = "INV-%05d" % rng.randint(1, 99999)
    issue = datetime.datetime(2026, 1, 1, 9, 0) + datetime.timedelta(days=rng.randint(0, 330),
                                                                    minutes=rng.randint(0, 480))
    due = issue + datetime.timedelta(days=30)
    doc.invoice_info = InvoiceInfo(number, issue, due)
    doc.service_provider_info = ServiceProviderInfo(
        name=s_name, street=s_street, city=s_city, country=s_country, post_code=s_postal,
        vat_tax_number=s_vat)
    doc.client_info = ClientInfo(name=b_name, street=b_street, city=b_city, country=b_country,
                                 post_code=b_postal, email="accounts@example.com",
                                 client_id=rng.randint(100, 9999))
    lines = [(n, d, Decimal(rng.randint(1, 40)), Decimal(rng.randint(150, 250000)) / 100)
             for n, d in rng.sample(NAMED_ITEMS, rng.randint(1, 5))]
    for name, description, quantity, price in lines:
        doc.add_item(Item(name, description, int(quantity), str(price)))
    rate = rng.choice([None, *RATES[s_country]])
    if rate is not None:
        doc.set_item_tax_rate(rate)
    doc.finish()

    net = sum(q * p for _, _, q, p in lines)
    tax = (net * Decimal(rate or 0) / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    seller = party_truth(s_name, s_street, s_postal, s_city, s_country, s_vat)
    buyer = party_truth(b_name, b_street, b_postal, b_city, b_country)
    fields = {
        "invoice_id": number,
        "issue_date": issue.date().isoformat(),
        "due_date": due.date().isoformat(),
        "seller": seller,
        "buyer": buyer,
        "totals": {
            "line_extension_amount": money(net),
            "tax_inclusive_amount": money(net + tax),
        },
        "lines": [
            {"description": name, "item_description": text, "quantity": str(q),
             "unit_price": money(p), "line_amount": money(q * p)}
            for name, text, q, p in lines
        ],
    }
    if rate is not None:
        fields["totals"]["tax_amount"] = money(tax)
    write_truth(out, document.rsplit(".", 1)[0], document, fields)


MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]


def microinvoice(out, index, rng):
    """microinvoice's layout (npm, PDFKit): a header block of labelled values, two party
    columns of free lines under their labels, a details table and a totals block. Labels
    and columns are the user's choice: two sets a user would write."""
    s_name, s_street, s_postal, s_city, s_country, s_prefix = rng.choice(SELLERS)
    b_name, b_street, b_postal, b_city, b_country = rng.choice(BUYERS)
    s_vat = vat_id(rng, s_prefix)
    currency = {"GB": "GBP", "US": "USD", "CH": "CHF", "CZ": "CZK"}.get(s_country, "EUR")
    issue = datetime.date(2026, 1, 1) + datetime.timedelta(days=rng.randint(0, 330))
    due = issue + datetime.timedelta(days=rng.choice([14, 30]))
    if s_country == "US":
        show = lambda d: "%s %d, %d" % (MONTHS[d.month - 1], d.day, d.year)
    elif s_country == "GB":
        show = lambda d: "%d %s %d" % (d.day, MONTHS[d.month - 1], d.year)
    else:
        show = lambda d: d.strftime("%d/%m/%Y")
    number = "%s-%d-%04d" % (rng.choice(["INV", "F", "RE"]), issue.year, rng.randint(1, 9999))
    rate = Decimal(str(rng.choice(RATES[s_country])))
    lines = choose_lines(rng, (1, 5), False)
    net = sum(q * p for _, _, q, p in lines)
    tax = (net * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    plain = rng.random() < 0.5
    labels = (
        ["Subtotal", "Tax rate", "Tax", "Total"] if plain
        else ["Total without VAT", "VAT Rate", "VAT Paid", "Total paid with VAT"]
    )
    postal_city = "%s %s" % (s_postal, s_city)
    buyer_postal_city = "%s %s" % (b_postal, b_city)
    options = {
        "data": {
            "invoice": {
                "name": "Invoice",
                "currency": currency,
                "header": [
                    {"label": "Invoice Number", "value": number},
                    {"label": "Date", "value": show(issue)},
                    {"label": "Due Date", "value": show(due)},
                ],
                "customer": [
                    {"label": "Bill To", "value": [b_name, b_street, buyer_postal_city]},
                ],
                "seller": [
                    {"label": "Bill From", "value": [s_name, s_street, postal_city]},
                ] + ([{"label": "VAT Number", "value": s_vat}] if s_vat else []),
                "legal": [{"value": "Payment within %d days." % (due - issue).days}],
                "details": {
                    "header": [{"value": "Description"}, {"value": "Quantity"},
                               {"value": "Unit price"}, {"value": "Amount"}],
                    "parts": [
                        [{"value": name}, {"value": int(q)}, {"value": money(p), "price": True},
                         {"value": money(q * p), "price": True}]
                        for name, _, q, p in lines
                    ],
                    "total": [
                        {"label": labels[0], "value": money(net), "price": True},
                        {"label": labels[1], "value": "%s%%" % rate},
                        {"label": labels[2], "value": money(tax), "price": True},
                        {"label": labels[3], "value": money(net + tax), "price": True},
                    ],
                },
            }
        }
    }
    document = "microinvoice_%03d.pdf" % index
    fields = {
        "invoice_id": number,
        "issue_date": issue.isoformat(),
        "due_date": due.isoformat(),
        "currency": currency,
        "seller": party_truth(s_name, s_street, s_postal, s_city, s_country, s_vat),
        "buyer": party_truth(b_name, b_street, b_postal, b_city, b_country),
        "totals": {
            "tax_exclusive_amount": money(net),
            "tax_amount": money(tax),
            "tax_inclusive_amount": money(net + tax),
        },
        "lines": [
            {"description": name, "quantity": str(q), "unit_price": money(p),
             "line_amount": money(q * p)}
            for name, _, q, p in lines
        ],
    }
    for party in ("seller", "buyer"):
        fields[party]["address"].pop("country")
    write_truth(out, document.rsplit(".", 1)[0], document, fields)
    return {"file": os.path.join(out, document), "options": options}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    os.makedirs(out, exist_ok=True)
    rng = random.Random(seed)
    specs = []
    for index in range(count):
        invoice_generator(out, index, rng)
        pyinvoice(out, index, rng)
        specs.append(microinvoice(out, index, rng))
    # microinvoice draws with Node: all its invoices in one run.
    spec_file = os.path.join(out, ".microinvoice-specs.json")
    with open(spec_file, "w", encoding="utf-8") as f:
        json.dump(specs, f)
    renderer = os.path.join(os.path.dirname(os.path.abspath(__file__)), "microinvoice_render.js")
    subprocess.run(["node", renderer, spec_file], check=True)
    os.remove(spec_file)


if __name__ == "__main__":
    main()
