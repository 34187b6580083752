"""The default taxonomy every new tenant gets, and the cue words the categoriser reads.

Keywords are ordinary words and short phrases in one language, compared as lemmas
(saas.feedback.lemmas): `курьер` matches курьера and курьером, `wait` matches waited and
waiting but not waiter. Owners type words the same way; a word ending in * matches words that
begin with it, for a family the dictionary does not join. Several words match as a phrase.
"""
from __future__ import annotations

DEFAULT_TAXONOMY: dict[str, dict] = {
    "staff": {
        "names": {"en": "Staff", "ru": "Персонал", "uk": "Персонал"},
        "keywords": {
            "en": ["staff", "employee", "cashier", "barista", "waiter", "waitress", "server", "bartender",
                   "manager", "rude", "rudely", "rudeness", "polite", "politely", "impolite", "friendly",
                   "unfriendly", "helpful", "unhelpful", "attitude", "courteous", "dismissive", "seller",
                   "salesperson", "shop assistant", "sales assistant", "consultant", "team", "receptionist",
                   "pharmacist", "hairdresser", "stylist", "barber", "trainer", "coach", "instructor", "mechanic", "technician", "personnel",
                   "smile", "smiling", "ignore", "competent", "incompetent", "professional", "unprofessional",
                   "knowledgeable", "customer service", "service was", "the girl at", "the guy at",
                   "the lady at", "welcoming", "attentive", "arrogant", "guy",
                   # the people of the other kinds of small business (a cook's work is the food, quality's)
                   "doctor", "nurse", "dentist", "hygienist", "vet", "surgeon", "therapist", "optician", "teacher",
                   "tutor", "hostess", "concierge", "housekeeper", "tailor", "florist", "beautician", "owner"],
            "ru": ["персонал", "сотрудник", "сотрудница", "работник", "кассир", "кассирша", "бариста",
                   "официант", "официантка", "бармен", "менеджер", "продавец", "продавщица", "консультант",
                   "администратор", "грубый", "грубо", "грубость", "грубить", "нагрубить", "хам", "хамка",
                   "хамство", "хамить", "нахамить", "хамоватый", "вежливый", "вежливо", "невежливый",
                   "приветливый", "приветливо", "дружелюбный", "отношение", "девушка на кассе",
                   "фармацевт", "провизор", "мастер", "тренер", "инструктор", "парикмахер", "стилист", "барбер", "механик",
                   "улыбка", "улыбаться", "игнорировать", "компетентный", "некомпетентный", "профессионал",
                   "профессиональный", "непрофессиональный", "внимательный", "внимательно", "обслуживание",
                   "обслужить", "сервис", "раздраженный", "высокомерный", "высокомерно", "персоналу", "девушка",
                   "врач", "доктор", "медсестра", "стоматолог", "ветеринар", "массажист", "учитель", "преподаватель",
                   "репетитор", "хостес", "горничная", "портье", "швея", "флорист", "охранник", "хозяин", "хозяйка"],
            "uk": ["персонал", "працівник", "працівниця", "співробітник", "касир", "касирка", "бариста",
                   "офіціант", "офіціантка", "бармен", "менеджер", "продавець", "продавчиня", "консультант",
                   "адміністратор", "адміністраторка", "грубий", "грубо", "грубість", "нагрубити", "хам",
                   "хамство", "хамити", "нахамити", "ввічливий", "ввічливо", "неввічливий", "привітний",
                   "привітно", "доброзичливий", "ставлення", "фармацевт", "фармацевтка", "провізор", "провізорка", "тренер", "інструктор", "майстер",
                   "майстриня", "перукар", "стиліст", "барбер", "механік", "усмішка", "посмішка", "ігнорувати",
                   "компетентний", "некомпетентний", "професійний", "непрофесійний", "уважний", "уважно",
                   "обслуговування", "обслужити", "сервіс", "зверхньо", "зверхній", "роздратований",
                   "лікар", "медсестра", "стоматолог", "ветеринар", "масажист", "вчитель", "викладач", "викладачка",
                   "репетитор", "хостес", "покоївка", "портьє", "кравчиня", "флорист", "охоронець", "власник",
                   "власниця"],
        },
    },
    "waiting": {
        "names": {"en": "Waiting time", "ru": "Ожидание", "uk": "Очікування"},
        "keywords": {
            "en": ["wait", "queue", "line was", "long line", "slow", "slowly", "took ages", "took forever",
                   "ages", "forever", "quick service", "served quickly", "fast service", "quickly", "speed",
                   "response time", "took so long", "too long", "still waiting", "no answer for", "promptly",
                   "prompt", "never answer", "delay", "delayed"],
            "ru": ["ждать", "подождать", "прождать", "ожидание", "ожидать", "очередь", "долго", "медленно",
                   "медленный", "затянуть", "вечность", "скорость", "оперативно", "оперативный", "ответа не",
                   "до сих пор", "простоять", "обслужили быстро", "быстро обслужили", "невозможно дозвониться", "задержка",
                   "задержать", "минута"],
            "uk": ["чекати", "зачекати", "прочекати", "очікування", "очікувати", "черга", "довго", "повільно",
                   "повільний", "затягнути", "вічність", "швидкість", "оперативно", "оперативний",
                   "відповіді не", "досі", "простояти", "обслужили швидко", "швидко обслужили", "неможливо додзвонитися",
                   "затримка", "затримати"],
        },
    },
    "delivery": {
        "names": {"en": "Delivery", "ru": "Доставка", "uk": "Доставка"},
        "keywords": {
            "en": ["deliver", "delivery", "courier", "shipping", "ship", "shipment", "parcel", "package",
                   "pickup", "pick-up", "driver", "arrived late", "never arrived", "arrived damaged", "dispatch", "postal", "post office",
                   "tracking number", "wrong address", "wrong door", "left at", "doorstep", "the box",
                   "order came", "order arrived", "never came", "arrive", "track"],
            "ru": ["доставка", "доставить", "доставлять", "доставщик", "курьер", "посылка", "самовывоз",
                   "привезти", "привозить", "водитель", "отправка", "отправить", "отправление", "трек", "трек-номер", "адрес", "коробка", "заказ пришел",
                   "не привезти"],
            "uk": ["доставка", "доставити", "доставляти", "кур'єр", "курєр", "посилка", "пакунок", "самовивіз",
                   "привезти", "привозити", "водій", "відправка", "відправити", "відправлення", "пошта", "нова пошта", "відділення", "трек", "адреса", "коробка", "запізнитися",
                   "спізнитися", "не привезти"],
        },
    },
    "price": {
        "names": {"en": "Prices", "ru": "Цены", "uk": "Ціни"},
        "keywords": {
            "en": ["price", "pricey", "pricing", "expensive", "cheap", "cheaper", "overpriced", "cost",
                   "costly", "value for money", "worth the money", "worth it", "not worth", "discount", "promo",
                   "promotion", "deal", "afford", "affordable", "bargain", "overcharge", "pay so much",
                   "too much money", "rip-off", "ripoff", "coupon", "sale", "loyalty", "cashback", "budget", "good value", "value", "charge extra",
                   "extra charge", "surcharge", "fee", "quote"],
            "ru": ["цена", "ценник", "дорого", "дорогой", "дороговато", "дороговатый", "дешево", "дешевый",
                   "стоимость", "скидка", "акция", "промокод", "переплатить", "переплата", "доступная цена",
                   "бонус", "кэшбэк", "кешбек", "cashback", "подорожать", "наценка", "не стоит своих денег",
                   "не стоит этих денег", "стоит своих денег", "за такие деньги", "прайс", "доплата", "доплачивать", "рубль", "тысяча"],
            "uk": ["ціна", "цінник", "дорого", "дорогий", "дорожчий", "дешево", "дешевий", "вартість",
                   "знижка", "акція", "промокод", "переплатити", "переплата", "бонус", "кешбек", "cashback",
                   "подорожчати", "націнка", "не вартий своїх грошей", "за такі гроші", "прайс", "коштувати", "доплата", "доплачувати", "грн", "безкоштовно"],
        },
    },
    "quality": {
        "names": {"en": "Quality", "ru": "Качество", "uk": "Якість"},
        "keywords": {
            "en": ["quality", "fresh", "stale", "taste", "tasty", "tasteless", "delicious", "flavour", "flavor",
                   "cold", "burnt", "undercooked", "overcooked", "raw", "broken", "break", "defect", "defective",
                   "faulty", "damaged", "spoiled", "spoilt", "rotten", "expired", "mouldy", "moldy", "soggy",
                   "bland", "dry", "food", "kitchen", "dish", "meal", "portion", "coffee was", "croissant", "pastry",
                   "latte", "pizza", "soup", "sandwich", "works perfectly", "stopped working", "poor quality",
                   "cheaply made", "as described", "hair in", "consistent", "haircut", "smashed", "shattered",
                   "crooked", "fell apart", "came off", "torn", "leak", "leaking", "scratch", "scratched",
                   "repair", "repaired", "fix", "fixed", "battery", "screen"],
            "ru": ["качество", "качественный", "некачественный", "свежий", "несвежий", "черствый", "вкус",
                   "вкусный", "вкусно", "невкусный", "невкусно", "холодный", "остыть", "остывший", "пригореть",
                   "сырой", "сухой", "сломать", "сломанный", "сломаться", "брак", "бракованный", "дефект",
                   "повреждение", "повредить", "испортить", "испорченный", "протухнуть", "просроченный",
                   "плесень", "пресный", "еда", "блюдо", "кухня", "порция", "кофе был", "круассан", "выпечка",
                   "пирожок", "пирожное", "латте", "пицца", "суп", "бутерброд", "развалиться", "порваться",
                   "протекать", "царапина", "кислый", "горький", "пережаренный", "разбитый", "мятый", "криво",
                   "волос", "как в описании", "как на фото", "слететь", "стрижка", "ремонт", "починить",
                   "отремонтировать", "экран", "аккумулятор"],
            "uk": ["якість", "якісний", "неякісний", "свіжий", "несвіжий", "черствий", "смак", "смачний",
                   "смачно", "несмачний", "несмачно", "холодний", "охолонути", "охололий", "пригоріти", "сирий",
                   "сухий", "зламати", "зламаний", "зламатися", "брак", "бракований", "дефект", "пошкодження",
                   "пошкодити", "пошкоджений", "зіпсований", "зіпсувати", "протухнути", "прострочений",
                   "пліснява", "прісний", "їжа", "страва", "кухня", "порція", "кава була", "круасан",
                   "випічка", "пиріжок", "тістечко", "лате", "піца", "суп", "бутерброд", "розвалитися",
                   "порватися", "протікати", "подряпина", "кислий", "гіркий", "перепалений", "розбитий",
                   "пом'ятий", "криво", "волосина", "як в описі", "як на фото", "злетіти", "стрижка", "ремонт",
                   "полагодити", "відремонтувати", "екран", "акумулятор"],
        },
    },
    "cleanliness": {
        "names": {"en": "Cleanliness and comfort", "ru": "Чистота и комфорт", "uk": "Чистота і комфорт"},
        "keywords": {
            "en": ["clean", "cleanliness", "dirty", "dirt", "filthy", "messy", "mess", "sticky", "dust", "dusty",
                   "toilet", "bathroom", "restroom", "smell", "stink", "hygiene", "hygienic", "cosy", "cozy",
                   "comfortable", "uncomfortable", "ambience", "ambiance", "atmosphere", "music", "noisy",
                   "noise", "loud", "cold inside", "too hot", "stuffy", "air conditioning", "chair", "table was",
                   "sticky table", "wi-fi", "wifi", "thin walls", "interior", "decor", "spotless", "tidy", "untidy", "crumbs", "trash", "garbage",
                   "bins"],
            "ru": ["чистота", "чисто", "чистый", "грязь", "грязно", "грязный", "неряшливо", "липкий", "пыль",
                   "пыльный", "туалет", "уборная", "запах", "вонять", "вонь", "пахнуть", "гигиена", "уют",
                   "уютно", "уютный", "комфорт", "комфортно", "неуютно", "атмосфера", "музыка", "шумно",
                   "шумный", "шум", "громко", "громкий", "душно", "холодно в зале", "жарко", "кондиционер",
                   "стул", "стол был", "столик", "интерьер", "вай-фай", "вайфай", "wi-fi", "звукоизоляция", "мусор", "крошки", "убирать", "уборка"],
            "uk": ["чистота", "чисто", "чистий", "бруд", "брудно", "брудний", "неохайно", "липкий", "пил",
                   "запилений", "туалет", "вбиральня", "запах", "смердіти", "сморід", "пахнути", "гігієна",
                   "затишок", "затишно", "затишний", "комфорт", "комфортно", "атмосфера", "музика", "галасно",
                   "гучно", "гучний", "шум", "шумно", "задушливо", "душно", "холодно в залі", "спекотно",
                   "кондиціонер", "стілець", "стіл був", "столик", "інтер'єр", "вайфай", "вай-фай", "wi-fi",
                   "звукоізоляція", "інтерєр", "сміття", "крихти",
                   "прибирати", "прибирання"],
        },
    },
    "website": {
        "names": {"en": "Website and app", "ru": "Сайт и приложение", "uk": "Сайт і застосунок"},
        "keywords": {
            "en": ["website", "site", "web", "online", "app", "application", "checkout", "check-out", "cart",
                   "basket", "login", "log in", "logged out", "sign in", "password", "page", "button", "bug",
                   "glitch", "crash", "error message", "loading", "browser", "portal", "link", "menu online",
                   "online order", "order online", "interface", "navigation", "search", "account"],
            "ru": ["сайт", "приложение", "онлайн", "app", "корзина", "оформить заказ", "оформление", "логин",
                   "войти", "авторизация", "пароль", "страница", "кнопка", "баг", "глючить", "глюк",
                   "вылетать", "ошибка", "загружаться", "грузиться", "браузер", "ссылка", "интерфейс",
                   "checkout", "поиск", "личный кабинет", "регистрация", "аккаунт"],
            "uk": ["сайт", "застосунок", "додаток", "онлайн", "app", "кошик", "оформити замовлення",
                   "оформлення", "логін", "увійти", "авторизація", "пароль", "сторінка", "кнопка", "баг",
                   "глючити", "глюк", "вилітати", "помилка", "завантажуватися", "завантаження", "браузер",
                   "посилання", "інтерфейс", "checkout", "пошук", "особистий кабінет", "реєстрація", "акаунт"],
        },
    },
    "payment": {
        "names": {"en": "Payment", "ru": "Оплата", "uk": "Оплата"},
        "keywords": {
            "en": ["payment", "pay", "card", "declined", "terminal", "cash", "refund", "receipt", "invoice",
                   "charge", "charged twice", "double charge", "billing", "bill", "apple pay", "google pay",
                   "paypal", "money back", "transaction", "contactless", "chargeback"],
            "ru": ["оплата", "оплатить", "оплачивать", "заплатить", "платеж", "карта", "терминал",
                   "наличные", "возврат", "вернуть деньги", "верните деньги", "возврат денег", "чек", "счет",
                   "списать", "списание", "списать дважды", "дважды списать", "оплатить дважды", "заплатить дважды", "apple pay", "google pay", "транзакция", "бесконтактный",
                   "oplata"],
            "uk": ["оплата", "оплатити", "оплачувати", "заплатити", "платити", "платіж", "картка", "карта",
                   "термінал", "готівка", "повернення коштів", "повернути гроші", "поверніть гроші", "чек",
                   "рахунок", "списати", "списання", "списати двічі", "двічі списати", "оплатити двічі", "заплатити двічі", "apple pay", "google pay", "транзакція",
                   "безконтактний", "oplata", "гроші"],
        },
    },
    "communication": {
        "names": {"en": "Communication", "ru": "Информирование", "uk": "Інформування"},
        "keywords": {
            "en": ["inform", "information", "notify", "notification", "call", "phone call", "by phone", "email", "e-mail",
                   "message", "sms", "text me", "texted", "update", "tracking", "kept me posted", "kept informed",
                   "no one told", "nobody told", "no one answered", "nobody answered", "answer", "respond",
                   "response", "reply", "contact", "reach", "communication", "communicate", "hotline",
                   "support", "chat", "warn", "let me know", "heard back", "opening hours", "open on", "mention", "told"],
            "ru": ["информация", "информировать", "уведомление", "уведомить", "звонок", "звонить", "позвонить",
                   "перезвонить", "дозвониться", "по телефону", "письмо", "email", "сообщение", "сообщить", "смс",
                   "sms", "обновление", "обновляться", "отслеживание", "трекинг", "никто не сказал",
                   "никто не ответил", "ответ", "ответить", "отвечать", "связаться", "связь", "горячая линия",
                   "поддержка", "саппорт", "чат", "объяснить", "предупредить", "в курсе", "шаблон",
                   "часы работы", "на сайте указано", "написать"],
            "uk": ["інформація", "інформувати", "сповіщення", "сповістити", "повідомлення", "повідомити",
                   "дзвінок", "дзвонити", "подзвонити", "зателефонувати", "передзвонити", "додзвонитися",
                   "по телефону", "лист", "email", "смс", "sms", "оновлення", "оновлюватися", "відстеження",
                   "трекінг", "трекинг", "ніхто не сказав", "ніхто не відповів", "відповідь", "відповісти",
                   "відповідати", "зв'язатися", "зв'язок", "гаряча лінія", "підтримка", "чат", "пояснити",
                   "попередити", "в курсі", "шаблон", "години роботи", "на сайті вказано", "написати"],
        },
    },
    "assortment": {
        "names": {"en": "Range and availability", "ru": "Ассортимент", "uk": "Асортимент"},
        "keywords": {
            "en": ["range", "selection", "choice", "variety", "assortment", "stock", "out of stock", "in stock",
                   "sold out", "available", "availability", "unavailable", "ran out", "run out",
                   "vegan", "gluten", "lactose", "oat milk", "colour", "color", "brand", "restock", "wider",
                   "more products", "gluten-free", "have what i need", "had it", "size", "sizes", "options", "menu"],
            "ru": ["ассортимент", "выбор", "разнообразие", "наличие", "нет в наличии", "закончиться",
                   "распродать", "отсутствовать", "веганский", "без глютена", "безглютеновый",
                   "безлактозный", "лактоза", "растительное молоко", "бренд", "поставка",
                   "все нужное", "позиция", "полки пустые", "меню"],
            "uk": ["асортимент", "вибір", "різноманіття", "наявність", "немає в наявності", "закінчитися",
                   "розпродати", "відсутній", "веганський", "без глютену", "безглютеновий", "безлактозний",
                   "лактоза", "рослинне молоко", "колір", "бренд", "постачання", "все потрібне", "позиція",
                   "полиці порожні", "розмір"],
        },
    },
}

CATEGORY_KEYS = tuple(DEFAULT_TAXONOMY)
# Words a default category had once and no longer has. A stored list may still hold one (lists were stored
# whole); it is the app's word, not the owner's, so it neither matches nor shows. Retiring a default word
# is moving it here: no migration. (These three were also taken out of stored lists by migrations.)
RETIRED_KEYWORDS: dict[str, frozenset[str]] = {
    "communication": frozenset({"телефоном"}),  # matched by its lemma, "телефон": every phone, a shop's too
    # "дважды", "двічі": any "twice"; the phrases of being charged twice replaced them. The rest below were
    # mostly about something else where they matched, on half of the comments written from the brief and the
    # other development sets, and leaving them out raised the rules' macro-F1 on the other half too: the
    # price in "не хочу платить столько", "pick up" the phone, the shop's door, being late for an
    # appointment, e-mail ("почта"), a missing item in an order, the size or colour a customer chose, the
    # way into a building ("вход").
    "payment": frozenset({"дважды", "двічі", "платить"}),
    "delivery": frozenset({"pick up", "дверь", "двері", "опоздать", "почта"}),
    "assortment": frozenset({"missing", "размер", "цвет"}),
    "website": frozenset({"вход", "вхід"}),
}

# Words that flip what follows (within a few words): "not rude", "не грубый", "не брудно".
NEGATIONS = {"not", "no", "never", "without", "nothing", "isn't", "wasn't", "weren't", "aren't", "don't",
             "didn't", "doesn't", "nor", "hardly", "не", "нет", "ни", "без", "никаких", "ничего", "ні", "немає",
             "жодних", "нічого", "ніяких"}

# What small businesses sell or do, the things a customer judges: a clause that names one and nothing
# another category is about, and judges it ("the roses wilted in a day", "fade was perfect"), is about
# quality. Named without a judgement ("ordered roses for mum") it is about nothing.
PRODUCTS = {
    "en": ["coffee", "tea", "cake", "bread", "bun", "pastry", "cookie", "sandwich", "salad", "burger", "steak",
           "fish", "chicken", "pasta", "dessert", "breakfast", "lunch", "dinner", "brunch", "drink", "wine", "beer",
           "cocktail", "menu", "topping", "crust", "base", "sauce", "fries", "veg", "vegetables", "fruit", "meat",
           "milk", "produce", "medicine", "tablet", "cut", "fade", "trim", "colour", "color", "highlights",
           "blow-dry", "nails", "manicure", "pedicure", "lashes", "brows", "facial", "massage", "tan", "wax", "car",
           "engine", "brakes", "tyre", "tire", "clutch", "gearbox", "service", "mot", "phone", "laptop", "charger",
           "keyboard", "camera", "speaker", "headphones", "tv", "monitor", "device", "product", "item", "dress",
           "shirt", "jeans", "jacket", "coat", "trousers", "shoes", "fabric", "material", "fit", "stitching",
           "seams", "bouquet", "flowers", "roses", "arrangement", "stain", "suit", "cleaning", "pressing", "filling",
           "crown", "implant", "tooth", "teeth", "treatment", "brace", "braces", "whitening", "room", "bed",
           "pillow", "shower", "towels", "view", "equipment", "machines", "class", "classes", "workout", "session",
           "result", "results"],
    "ru": ["кофе", "чай", "торт", "хлеб", "булочка", "пирог", "салат", "бургер", "стейк", "рыба", "курица",
           "паста", "десерт", "завтрак", "обед", "ужин", "напиток", "вино", "пиво", "коктейль", "меню", "соус",
           "начинка", "тесто", "овощи", "фрукты", "мясо", "молоко", "продукты", "товар", "лекарство", "таблетка",
           "стрижка", "окрашивание", "укладка", "маникюр", "педикюр", "ногти", "ресницы", "брови", "массаж",
           "чистка", "покрытие", "машина", "автомобиль", "двигатель", "тормоза", "шина", "коробка передач",
           "телефон", "ноутбук", "зарядка", "клавиатура", "камера", "наушники", "телевизор", "монитор",
           "устройство", "вещь", "платье", "рубашка", "джинсы", "куртка", "пальто", "брюки", "обувь", "ткань",
           "материал", "шов", "букет", "цветы", "розы", "композиция", "пятно", "костюм", "пломба", "коронка",
           "имплант", "зуб", "лечение", "брекеты", "отбеливание", "номер", "кровать", "подушка", "душ", "полотенце",
           "вид", "тренажер", "оборудование", "занятие", "тренировка", "результат"],
    "uk": ["кава", "чай", "торт", "хліб", "булочка", "пиріг", "салат", "бургер", "стейк", "риба", "курка", "паста",
           "десерт", "сніданок", "обід", "вечеря", "напій", "вино", "пиво", "коктейль", "меню", "соус", "начинка",
           "тісто", "овочі", "фрукти", "м'ясо", "молоко", "продукти", "товар", "ліки", "таблетка", "стрижка",
           "фарбування", "укладка", "манікюр", "педикюр", "нігті", "вії", "брови", "масаж", "чистка", "покриття",
           "машина", "автомобіль", "двигун", "гальма", "шина", "телефон", "ноутбук", "зарядка", "клавіатура",
           "камера", "навушники", "телевізор", "монітор", "пристрій", "річ", "сукня", "сорочка", "джинси", "куртка",
           "пальто", "штани", "взуття", "тканина", "матеріал", "шов", "букет", "квіти", "троянди", "композиція",
           "пляма", "костюм", "пломба", "коронка", "імплант", "зуб", "лікування", "брекети", "відбілювання",
           "номер", "ліжко", "подушка", "душ", "рушник", "вид", "тренажер", "обладнання", "заняття", "тренування",
           "результат"],
}

# Someone an English comment calls he or she is one of the staff, unless it names a relative, a friend or a
# pet (these words, as lemmas), whom the pronoun may be about. Measured: in Russian and Ukrainian comments
# the same rule gained nothing.
PERSONAL_PRONOUNS = {"he", "she", "him", "her", "his", "he's", "she's"}
NOT_STAFF_PEOPLE = {"son", "daughter", "husband", "wife", "mum", "mom", "mother", "dad", "father", "partner", "friend",
                    "boyfriend", "girlfriend", "kid", "baby", "dog", "cat", "gran", "grandma", "granny", "grandad",
                    "grandpa", "nan", "sister", "brother", "aunt", "uncle", "niece", "nephew", "boy", "girl", "toddler",
                    "child", "mate", "colleague", "boss", "fiance", "fiancee", "hubby"}

# Speed, and how long something took ("in 10 minutes", "за два дні"): about waiting, unless the comment is
# about a delivery (then it is the delivery's speed).
SPEED_WORDS = {"en": ["quick", "fast", "speedy"], "ru": ["быстро", "быстрый"], "uk": ["швидко", "швидкий"]}
TIME_UNITS = ["min", "mins", "minute", "minutes", "hour", "hours", "hr", "hrs", "day", "days", "week", "weeks",
              "мин", "минута", "минуты", "минут", "час", "часа", "часов", "полчаса", "день", "дня", "дни", "дней", "сутки",
              "суток", "неделя", "недели", "неделю", "недель", "хв", "хвилина", "хвилини", "хвилин", "година",
              "години", "годину", "годин", "півгодини", "дні", "днів", "доба", "добу", "діб", "тиждень", "тижні", "тижнів"]
NUMBER_WORDS = ["a", "an", "one", "two", "three", "four", "five", "ten", "few", "couple", "один", "одну", "два", "две",
                "три", "четыре", "пять", "десять", "пару", "несколько", "одна", "дві", "чотири", "п'ять", "десять",
                "кілька", "декілька"]
# A duration that dates an event rather than measures how long it took: "broke 3 days after", "через неделю
# облупился", "emailed a week ago", "every five minutes". On the written, independent and reviews development
# sets the duration read as waiting was wrong more often than right there.
DATING_BEFORE = ["after", "every", "через", "спустя", "каждые", "кожні"]
DATING_AFTER = ["ago", "later", "after", "назад", "спустя", "позже", "тому", "пізніше"]

# Words that start a new clause, as punctuation does.
CLAUSE_WORDS = {"but", "and", "though", "although", "however", "но", "и", "а", "зато", "однако", "але", "і", "й",
                "та", "проте", "зате"}

# Set phrases in which a keyword means something else: no keyword counts inside them ("в свою очередь" is
# "in turn", not a queue; "can't wait" is looking forward; "wait staff" are the people).
IDIOMS = {
    "en": ["can't wait", "cannot wait", "can not wait", "wait and see", "wait staff", "worth a visit",
           "worth a try", "worth the trip", "cold outside", "cold weather", "cold day", "first of all",
           "in the first place", "on the other hand", "table was booked", "booked a table", "reserved a table",
           "check engine", "waiting room", "waiting area"],
    "ru": ["в свою очередь", "в первую очередь", "в очередной раз", "с другой стороны", "на улице холодно",
           "холодно на улице", "стоит зайти", "стоит попробовать", "стоит сходить", "заказали столик",
           "забронировали столик", "загореться чек", "гореть чек", "ожидать большего", "ожидать лучшего",
           "как и ожидать", "чем ожидать", "ждать большего", "ждать открытия", "с нетерпением ждать",
           "ждать с нетерпением", "комната ожидания", "зал ожидания", "святой николай"],
    "uk": ["у свою чергу", "в свою чергу", "в першу чергу", "у першу чергу", "вкотре", "з іншого боку",
           "на вулиці холодно", "холодно на вулиці", "варто зайти", "варто спробувати", "варто сходити",
           "замовили столик", "забронювали столик", "загорітися чек", "горіти чек", "очікувати більшого",
           "очікувати кращого", "як і очікувати", "ніж очікувати", "чекати більшого", "чекати відкриття",
           "з нетерпінням чекати", "чекати з нетерпінням", "кімната очікування", "зал очікування", "святий миколай",
           "з миколаєм вас"],
}

# Stems that name a problem (needs action when not negated).
PROBLEM_CUES = [
    # en
    "rude*", "late", "lateness", "delay*", "broken", "broke", "damaged", "defect*", "faulty", "dirty", "filthy",
    "stale", "cold", "burnt", "raw", "spoiled", "spoilt", "rotten", "expired", "mouldy", "moldy", "wrong",
    "missing", "lost", "never came", "never arrived", "didn't arrive", "did not arrive", "out of stock",
    "sold out", "ran out", "declined", "charged twice", "double charge*", "overcharg*", "refund*", "bug*",
    "glitch*", "crash*", "error*", "doesn't work", "does not work", "didn't work", "not working", "stopped working",
    "logged out", "logging me out", "can't", "cannot", "couldn't", "unable", "ignored", "dismissive*",
    "sticky", "smell*", "stink*", "noisy", "leak*", "torn", "fell apart", "waited", "took forever", "took ages",
    "for ages",
    "took so long", "too long", "no one called", "nobody called", "no one answered", "nobody answered",
    "no update*", "unhelpful", "impolite", "unfriendly", "incompetent", "unprofessional",
    "mess", "messy", "crumbs", "soggy", "undercooked", "scratch*",
    "wrong address", "wrong door", "no answer", "slow", "slowly", "queue", "nobody told", "no one told",
    # ru
    "груб*", "хам", "хамство", "хамить", "хамка", "нахамить", "нагруб*", "опоздал*", "опаздал*", "опозда*", "задерж*", "сломан*", "слома*", "брак", "бракованный",
    "поврежд*", "грязн*", "черств*", "чёрств*", "холодн*", "пригор*", "испорч*", "протух*", "просроч*",
    "плесен*", "не тот", "не та", "не те", "неправильн*", "потерял*", "потеря*", "не привез*", "не пришл*",
    "не доставил*", "закончил*", "закончиться", "заканчиваться", "нет в наличии", "отклон*", "не прош*", "дважды", "списали дважды",
    "переплат*", "возврат*", "верните", "баг", "глючить", "глюк", "вылета*", "ошибк*", "не работает",
    "не работал*", "перестал*", "не могу", "не смог*", "невозможно", "игнорир*", "липк*", "воня*", "шумн*",
    "протек*", "порва*", "ждал*", "прождал*", "очеред*", "долго", "никто не", "не ответ*", "не перезвон*",
    "невежлив*", "некомпетент*", "мусор*", "медлен*", "не дозвон*",
    # uk
    "запізни*", "спізни*", "затрим*", "зламан*", "злама*", "пошкодж*", "брудн*", "зіпсован*", "прострочен*",
    "плісен*", "не той", "не та", "не ті", "неправильн*", "загубил*", "втрати*", "не прийшл*", "не доставил*",
    "закінчил*", "закінчитися", "закінчуватися", "немає в наявності", "відхил*", "не пройш*", "двічі", "списали двічі", "повернення",
    "поверніть", "помилк*", "не працює", "не працював*", "перестав*", "не можу", "не зміг*", "неможливо",
    "ігнор*", "смерд*", "галасл*", "протіка*", "чекал*", "прочекал*", "черг*", "ніхто не", "не відповід*",
    "не передзвон*", "неввічлив*", "некомпетент*", "сміт*", "повільн*", "не додзвон*",
]

# A price found too high: displeasure, but no fault to fix (what to charge is the owner's choice; the
# customer gets a reply, nobody gets a task).
PRICE_COMPLAINTS = ["overpriced", "too expensive", "rip-off", "ripoff", "too pricey", "дорого", "слишком дорог*",
                    "задорого", "дорогувато", "дороговато"]

# Words of praise and of displeasure (for refining sentiment).
POSITIVE_CUES = ["great", "excellent", "amazing", "awesome", "love*", "lovely", "perfect*", "wonderful", "best",
                 "fantastic", "delicious", "friendly", "thank*", "good", "nice", "recommend*", "spotless",
                 "отличн*", "прекрасн*", "замечательн*", "супер", "люблю", "спасибо", "лучш*", "вкусн*",
                 "рекоменд*", "хорош*", "классн*", "чудов*", "відмінн*", "дякую", "дякуємо", "найкращ*",
                 "смачн*", "рекоменд*", "гарн*", "класн*", "супер"]
NEGATIVE_CUES = ["bad", "terrible", "awful", "horrible", "worst", "disappoint*", "disgust*", "annoy*", "angry",
                 "unacceptable", "poor", "never again", "ужасн*", "плох*", "отвратительн*", "разочаров*",
                 "кошмар*", "безобраз*", "недоволен", "недовольн*", "жахлив*", "поган*", "огидн*",
                 "розчаруван*", "розчарова*", "незадоволен*", "неприйнятн*", "неприемлем*"]

# The customer asks to be contacted, or wants something back.
CONTACT_CUES = ["call me", "call back", "contact me", "email me", "get back to me", "reach me", "write to me",
                "text me", "let me know", "refund", "money back", "my money", "перезвоните", "позвоните",
                "свяжитесь", "напишите мне", "ответьте", "верните деньги", "верните", "возврат денег",
                "жду ответа", "зателефонуйте", "передзвоніть", "зв'яжіться", "звяжіться", "напишіть мені",
                "відповідайте", "поверніть гроші", "поверніть", "чекаю відповіді", "чекаю на відповідь"]
QUESTION_WORDS = {"how", "when", "why", "where", "what", "can", "could", "will", "would", "is", "are", "do",
                  "does", "как", "когда", "почему", "где", "что", "можно", "ли", "зачем", "сколько", "як",
                  "коли", "чому", "де", "що", "чи", "можна", "навіщо", "скільки"}
