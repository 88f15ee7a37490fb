"""The demo site's own texts in Russian, Kazakh and English.

A lender in Kazakhstan must speak to visitors in the state language and in Russian, and the banner
is shown in the page's language, so the demo has real texts in all three (not placeholders) to
show the banner, the policy and the switcher working together. Vendor names, purposes and
descriptions are not here: the privacy page takes them from the catalogue.
"""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("ru", "kk", "en")
DEFAULT_LANGUAGE = "ru"
LANGUAGE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "brand": "CreditPlus (демо)",
        "demo_notice": "Это демонстрационный сайт Kelisim. Займы здесь не выдаются, "
        "введённые данные никуда не отправляются.",
        "nav_home": "Главная",
        "nav_apply": "Получить заём",
        "nav_about": "О компании",
        "nav_privacy": "Политика конфиденциальности",
        "nav_contact": "Контакты",
        "cookie_settings": "Настройки cookie",
        "noscript_notice": "Сайт использует cookie. Без JavaScript выбор делается "
        "на странице настроек:",
        "language": "Язык",
        "home_title": "Микрозаймы онлайн до 500 000 ₸",
        "home_lead": "Решение за 15 минут, деньги — на карту любого банка Казахстана.",
        "home_cta": "Оформить заявку",
        "home_step1": "Заполните короткую анкету: ИИН, телефон, сумма и срок.",
        "home_step2": "Мы проверим заявку и сообщим решение по SMS.",
        "home_step3": "Подпишите договор кодом из SMS и получите деньги на карту.",
        "home_terms": "Сумма от 10 000 до 500 000 ₸, срок от 5 до 30 дней. "
        "Годовая эффективная ставка вознаграждения указывается в договоре до подписания.",
        "apply_title": "Заявка на заём",
        "apply_lead": "Все поля обязательны. Это демо: заявка не отправляется и не сохраняется.",
        "field_iin": "ИИН",
        "field_name": "Фамилия, имя, отчество",
        "field_phone": "Мобильный телефон",
        "field_amount": "Сумма, ₸",
        "field_term": "Срок, дней",
        "field_consent": "Я согласен на сбор и обработку моих персональных данных для "
        "рассмотрения заявки.",
        "apply_submit": "Отправить заявку",
        "apply_done_title": "Заявка принята (демо)",
        "apply_done": "В настоящем сервисе мы бы сейчас рассмотрели заявку. Демо ничего не "
        "сохраняет.",
        "about_title": "О компании",
        "about_text": "ТОО «МФО CreditPlus (демо)» — вымышленная микрофинансовая организация. "
        "Её сайт показывает, как Kelisim спрашивает согласие посетителя, записывает его как "
        "доказательство и загружает каждый сервис аналитики и рекламы только с согласия.",
        "about_text2": "На сайте подключены те же 14 сервисов, что перечислены в политике "
        "конфиденциальности настоящего кредитора; их серверы в демо заменены локальными "
        "имитациями.",
        "privacy_title": "Политика конфиденциальности",
        "privacy_intro": "Мы обрабатываем персональные данные в соответствии с Законом "
        "Республики Казахстан от 21 мая 2013 года № 94-V «О персональных данных и их защите».",
        "privacy_cookies_title": "Cookie и сервисы аналитики и маркетинга",
        "privacy_cookies": "Сервисы ниже загружаются только после вашего согласия. Необходимые "
        "cookie (запоминают ваш выбор) используются без согласия. Согласие можно изменить или "
        "отозвать в любой момент по ссылке «Настройки cookie» внизу каждой страницы.",
        "privacy_table_service": "Сервис",
        "privacy_table_company": "Компания",
        "privacy_table_country": "Страна",
        "privacy_table_purpose": "Цель",
        "privacy_table_abroad": "Передача за пределы Казахстана",
        "yes": "Да",
        "no": "Нет",
        "unknown_country": "не установлена",
        "privacy_abroad": "Если сервис передаёт данные за пределы Казахстана, мы делаем это "
        "только с вашего согласия, которое вы даёте в окне настроек cookie.",
        "privacy_operator": "Оператор",
        "privacy_unavailable": "Список сервисов сейчас недоступен: не удалось прочитать каталог.",
        "contact_title": "Контакты",
        "contact_text": "Это вымышленные контакты демонстрационного сайта.",
        "contact_address": "Адрес: г. Алматы (демо)",
        "contact_phone": "Телефон: +7 700 000 00 00 (демо)",
        "contact_email": "Почта: privacy@creditplus.example",
        "footer": "© CreditPlus (демо). Сайт создан для проверки Kelisim.",
    },
    "kk": {
        "brand": "CreditPlus (демо)",
        "demo_notice": "Бұл — Kelisim демонстрациялық сайты. Мұнда қарыз берілмейді, "
        "енгізілген деректер ешқайда жіберілмейді.",
        "nav_home": "Басты бет",
        "nav_apply": "Қарыз алу",
        "nav_about": "Компания туралы",
        "nav_privacy": "Құпиялылық саясаты",
        "nav_contact": "Байланыс",
        "cookie_settings": "Cookie баптаулары",
        "noscript_notice": "Сайт cookie файлдарын пайдаланады. JavaScript болмаса, "
        "таңдау баптаулар бетінде жасалады:",
        "language": "Тіл",
        "home_title": "500 000 ₸ дейін онлайн микроқарыз",
        "home_lead": "Шешім 15 минутта, ақша Қазақстанның кез келген банкінің картасына түседі.",
        "home_cta": "Өтінім беру",
        "home_step1": "Қысқа сауалнаманы толтырыңыз: ЖСН, телефон, сома және мерзім.",
        "home_step2": "Біз өтінімді тексеріп, шешімді SMS арқылы хабарлаймыз.",
        "home_step3": "Шартқа SMS-кодпен қол қойып, ақшаны картаңызға алыңыз.",
        "home_terms": "Сомасы 10 000-нан 500 000 ₸-ге дейін, мерзімі 5 күннен 30 күнге дейін. "
        "Сыйақының жылдық тиімді мөлшерлемесі қол қойылғанға дейін шартта көрсетіледі.",
        "apply_title": "Қарызға өтінім",
        "apply_lead": "Барлық өрісті толтыру міндетті. Бұл демо: өтінім жіберілмейді және "
        "сақталмайды.",
        "field_iin": "ЖСН",
        "field_name": "Тегі, аты, әкесінің аты",
        "field_phone": "Ұялы телефон",
        "field_amount": "Сомасы, ₸",
        "field_term": "Мерзімі, күн",
        "field_consent": "Өтінімді қарау үшін дербес деректерімді жинауға және өңдеуге келісемін.",
        "apply_submit": "Өтінімді жіберу",
        "apply_done_title": "Өтінім қабылданды (демо)",
        "apply_done": "Нақты қызметте біз қазір өтініміңізді қарар едік. Демо ештеңе сақтамайды.",
        "about_title": "Компания туралы",
        "about_text": "«CreditPlus (демо) МҚҰ» ЖШС — ойдан шығарылған микроқаржы ұйымы. Оның "
        "сайты Kelisim келушіден келісімді қалай сұрайтынын, оны дәлел ретінде қалай "
        "жазатынын және әрбір талдау мен жарнама қызметін тек келісіммен жүктейтінін көрсетеді.",
        "about_text2": "Сайтқа нақты кредитордың құпиялылық саясатында аталған 14 қызмет "
        "қосылған; демода олардың серверлері жергілікті имитациялармен ауыстырылған.",
        "privacy_title": "Құпиялылық саясаты",
        "privacy_intro": "Біз дербес деректерді «Дербес деректер және оларды қорғау туралы» "
        "Қазақстан Республикасының 2013 жылғы 21 мамырдағы № 94-V Заңына сәйкес өңдейміз.",
        "privacy_cookies_title": "Cookie файлдары, талдау және маркетинг қызметтері",
        "privacy_cookies": "Төмендегі қызметтер тек сіздің келісіміңізден кейін жүктеледі. "
        "Қажетті cookie файлдары (таңдауыңызды есте сақтайды) келісімсіз қолданылады. "
        "Келісімді әр беттің төменгі жағындағы «Cookie баптаулары» сілтемесі арқылы кез келген "
        "уақытта өзгертуге немесе кері қайтарып алуға болады.",
        "privacy_table_service": "Қызмет",
        "privacy_table_company": "Компания",
        "privacy_table_country": "Ел",
        "privacy_table_purpose": "Мақсаты",
        "privacy_table_abroad": "Қазақстаннан тыс жерге беру",
        "yes": "Иә",
        "no": "Жоқ",
        "unknown_country": "анықталмаған",
        "privacy_abroad": "Егер қызмет деректерді Қазақстаннан тыс жерге берсе, біз мұны тек "
        "cookie баптаулары терезесінде берілген келісіміңізбен ғана жасаймыз.",
        "privacy_operator": "Оператор",
        "privacy_unavailable": "Қызметтер тізімі қазір қолжетімсіз: каталогты оқу мүмкін болмады.",
        "contact_title": "Байланыс",
        "contact_text": "Бұл демонстрациялық сайттың ойдан шығарылған байланыс деректері.",
        "contact_address": "Мекенжайы: Алматы қ. (демо)",
        "contact_phone": "Телефон: +7 700 000 00 00 (демо)",
        "contact_email": "Пошта: privacy@creditplus.example",
        "footer": "© CreditPlus (демо). Сайт Kelisim-ді тексеру үшін жасалған.",
    },
    "en": {
        "brand": "CreditPlus (demo)",
        "demo_notice": "This is a Kelisim demonstration site. No loans are issued here and "
        "nothing you type is sent anywhere.",
        "nav_home": "Home",
        "nav_apply": "Get a loan",
        "nav_about": "About us",
        "nav_privacy": "Privacy policy",
        "nav_contact": "Contact",
        "cookie_settings": "Cookie settings",
        "noscript_notice": "This site uses cookies. Without JavaScript, choose on "
        "the settings page:",
        "language": "Language",
        "home_title": "Online microloans up to 500,000 ₸",
        "home_lead": "A decision in 15 minutes, money to a card of any bank in Kazakhstan.",
        "home_cta": "Apply now",
        "home_step1": "Fill in a short form: IIN, phone, amount and term.",
        "home_step2": "We check the application and send you the decision by SMS.",
        "home_step3": "Sign the contract with the SMS code and get the money on your card.",
        "home_terms": "From 10,000 to 500,000 ₸ for 5 to 30 days. The annual effective rate is "
        "stated in the contract before you sign.",
        "apply_title": "Loan application",
        "apply_lead": "All fields are required. This is a demo: the application is neither sent "
        "nor stored.",
        "field_iin": "IIN",
        "field_name": "Full name",
        "field_phone": "Mobile phone",
        "field_amount": "Amount, ₸",
        "field_term": "Term, days",
        "field_consent": "I agree to the collection and processing of my personal data to "
        "review this application.",
        "apply_submit": "Send application",
        "apply_done_title": "Application received (demo)",
        "apply_done": "A real service would now review your application. The demo stores nothing.",
        "about_title": "About us",
        "about_text": "CreditPlus (demo) MFO LLP is a fictional microfinance organisation. Its "
        "site shows how Kelisim asks visitors for consent, records the answer as proof, and "
        "loads each analytics and marketing service only with consent.",
        "about_text2": "The site embeds the same 14 services that a real lender's privacy policy "
        "lists; in the demo their servers are replaced by local imitations.",
        "privacy_title": "Privacy policy",
        "privacy_intro": "We process personal data under Law No. 94-V of the Republic of "
        'Kazakhstan of 21 May 2013 "On personal data and their protection".',
        "privacy_cookies_title": "Cookies and analytics and marketing services",
        "privacy_cookies": "The services below load only after you consent. Necessary cookies "
        "(which remember your choice) are used without consent. You can change or withdraw "
        'consent at any time with the "Cookie settings" link at the foot of every page.',
        "privacy_table_service": "Service",
        "privacy_table_company": "Company",
        "privacy_table_country": "Country",
        "privacy_table_purpose": "Purpose",
        "privacy_table_abroad": "Transfer outside Kazakhstan",
        "yes": "Yes",
        "no": "No",
        "unknown_country": "not established",
        "privacy_abroad": "Where a service transfers data outside Kazakhstan, we do so only "
        "with the consent you give in the cookie settings.",
        "privacy_operator": "Operator",
        "privacy_unavailable": "The list of services is unavailable: the catalogue could not "
        "be read.",
        "contact_title": "Contact",
        "contact_text": "These are the demo site's fictional contact details.",
        "contact_address": "Address: Almaty (demo)",
        "contact_phone": "Phone: +7 700 000 00 00 (demo)",
        "contact_email": "Email: privacy@creditplus.example",
        "footer": "© CreditPlus (demo). A site made to test Kelisim.",
    },
}

COUNTRIES: dict[str, dict[str, str]] = {
    "RU": {"ru": "Россия", "kk": "Ресей", "en": "Russia"},
    "US": {"ru": "США", "kk": "АҚШ", "en": "United States"},
    "IL": {"ru": "Израиль", "kk": "Израиль", "en": "Israel"},
    "NZ": {"ru": "Новая Зеландия", "kk": "Жаңа Зеландия", "en": "New Zealand"},
    "KZ": {"ru": "Казахстан", "kk": "Қазақстан", "en": "Kazakhstan"},
    "AE": {"ru": "ОАЭ", "kk": "БАӘ", "en": "United Arab Emirates"},
    "SG": {"ru": "Сингапур", "kk": "Сингапур", "en": "Singapore"},
    "IE": {"ru": "Ирландия", "kk": "Ирландия", "en": "Ireland"},
    "DE": {"ru": "Германия", "kk": "Германия", "en": "Germany"},
    "NL": {"ru": "Нидерланды", "kk": "Нидерланд", "en": "Netherlands"},
}


def country_name(code: str | None, lang: str) -> str:
    """A country's name in the page language; the ISO code itself when the demo has no name."""
    if not code:
        return TEXTS[lang]["unknown_country"]
    return COUNTRIES.get(code.upper(), {}).get(lang, code.upper())
