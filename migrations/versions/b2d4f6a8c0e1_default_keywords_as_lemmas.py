"""default categories' keywords become words read as lemmas: a category still holding the old default
stems of its language gets the new default words (one an owner edited is left as it is)

Revision ID: b2d4f6a8c0e1
Revises: a1c3e5f7b9d2
Create Date: 2026-11-30 01:10:00

"""
import hashlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2d4f6a8c0e1'
down_revision = 'a1c3e5f7b9d2'
branch_labels = None
depends_on = None

# sha256[:16] of each old default list ("key:locale"), and the new lists, as of this revision.
OLD = {
    "staff:en": "1096f3c805b34650",
    "staff:ru": "db8ef312d9fcc9e5",
    "staff:uk": "ed16beebc05e722a",
    "waiting:en": "4941b3e92f44228b",
    "waiting:ru": "fb27c0329d07efef",
    "waiting:uk": "67a957761b53d1fd",
    "delivery:en": "916e69d3f05ad91d",
    "delivery:ru": "8379b5dfd77ef658",
    "delivery:uk": "053e769a2b1b02c1",
    "price:en": "cc034efb4841b125",
    "price:ru": "bddb22ad654e5ee7",
    "price:uk": "e82170d8e3073409",
    "quality:en": "6b5c66976aa3296a",
    "quality:ru": "3f9c73e6ecdd8739",
    "quality:uk": "932ef4e2990b4f12",
    "cleanliness:en": "63fb7cc2a9da48c2",
    "cleanliness:ru": "43a1ae0ebe8715fc",
    "cleanliness:uk": "04fc9107ef01cf67",
    "website:en": "ced4500f223dff3d",
    "website:ru": "f91511b0cf742b51",
    "website:uk": "2f2fbca922c968fe",
    "payment:en": "df8024530811ed6d",
    "payment:ru": "a8393496a608caea",
    "payment:uk": "eac343d15673f9e4",
    "communication:en": "a524065d68aeac4d",
    "communication:ru": "adc4c10eb4fb09bc",
    "communication:uk": "281b0d0bdf7c1ca2",
    "assortment:en": "3784b9319f76de5e",
    "assortment:ru": "13485af0a6719434",
    "assortment:uk": "12b82cd525a4ec6e"
}
NEW = {
    "staff:en": "staff, employee, cashier, barista, waiter, waitress, server, bartender, manager, rude, rudely, rudeness, polite, politely, impolite, friendly, unfriendly, helpful, unhelpful, attitude, courteous, dismissive, seller, salesperson, shop assistant, sales assistant, consultant, team, receptionist, pharmacist, hairdresser, stylist, barber, trainer, coach, instructor, mechanic, technician, personnel, smile, smiling, ignore, competent, incompetent, professional, unprofessional, knowledgeable, customer service, service was, the girl at, the guy at, the lady at, welcoming, attentive, arrogant",
    "staff:ru": "персонал, сотрудник, сотрудница, работник, кассир, кассирша, бариста, официант, официантка, бармен, менеджер, продавец, продавщица, консультант, администратор, грубый, грубо, грубость, грубить, нагрубить, хам, хамка, хамство, хамить, нахамить, хамоватый, вежливый, вежливо, невежливый, приветливый, приветливо, дружелюбный, отношение, девушка на кассе, фармацевт, провизор, мастер, тренер, инструктор, парикмахер, стилист, барбер, механик, улыбка, улыбаться, игнорировать, компетентный, некомпетентный, профессионал, профессиональный, непрофессиональный, внимательный, внимательно, обслуживание, обслужить, сервис, раздраженный, высокомерный, высокомерно, персоналу",
    "staff:uk": "персонал, працівник, працівниця, співробітник, касир, касирка, бариста, офіціант, офіціантка, бармен, менеджер, продавець, продавчиня, консультант, адміністратор, адміністраторка, грубий, грубо, грубість, нагрубити, хам, хамство, хамити, нахамити, ввічливий, ввічливо, неввічливий, привітний, привітно, доброзичливий, ставлення, фармацевт, фармацевтка, провізор, провізорка, тренер, інструктор, майстер, майстриня, перукар, стиліст, барбер, механік, усмішка, посмішка, ігнорувати, компетентний, некомпетентний, професійний, непрофесійний, уважний, уважно, обслуговування, обслужити, сервіс, зверхньо, зверхній, роздратований",
    "waiting:en": "wait, queue, line was, long line, slow, slowly, took ages, took forever, ages, forever, quick service, served quickly, fast service, quickly, speed, response time, took so long, too long, still waiting, no answer for, promptly, prompt, never answer, delay, delayed",
    "waiting:ru": "ждать, подождать, прождать, ожидание, ожидать, очередь, долго, медленно, медленный, затянуть, вечность, скорость, оперативно, оперативный, ответа не, до сих пор, простоять, обслужили быстро, быстро обслужили, невозможно дозвониться, задержка, задержать",
    "waiting:uk": "чекати, зачекати, прочекати, очікування, очікувати, черга, довго, повільно, повільний, затягнути, вічність, швидкість, оперативно, оперативний, відповіді не, досі, простояти, обслужили швидко, швидко обслужили, неможливо додзвонитися, затримка, затримати",
    "delivery:en": "deliver, delivery, courier, shipping, ship, shipment, parcel, package, pickup, pick up, pick-up, driver, arrived late, never arrived, arrived damaged, dispatch, postal, post office, tracking number, wrong address, wrong door, left at, doorstep, the box, order came, order arrived, never came",
    "delivery:ru": "доставка, доставить, доставлять, доставщик, курьер, посылка, самовывоз, привезти, привозить, водитель, отправка, отправить, отправление, почта, трек, трек-номер, адрес, дверь, коробка, заказ пришел, опоздать, не привезти",
    "delivery:uk": "доставка, доставити, доставляти, кур'єр, курєр, посилка, пакунок, самовивіз, привезти, привозити, водій, відправка, відправити, відправлення, пошта, нова пошта, відділення, трек, адреса, двері, коробка, запізнитися, спізнитися, не привезти",
    "price:en": "price, pricey, pricing, expensive, cheap, cheaper, overpriced, cost, costly, value for money, worth the money, worth it, not worth, discount, promo, promotion, deal, afford, affordable, bargain, overcharge, pay so much, too much money, rip-off, ripoff, coupon, sale, loyalty, cashback, budget, good value, value, charge extra, extra charge, surcharge",
    "price:ru": "цена, ценник, дорого, дорогой, дороговато, дороговатый, дешево, дешевый, стоимость, скидка, акция, промокод, переплатить, переплата, доступная цена, бонус, кэшбэк, кешбек, cashback, подорожать, наценка, не стоит своих денег, не стоит этих денег, стоит своих денег, за такие деньги, прайс, доплата, доплачивать",
    "price:uk": "ціна, цінник, дорого, дорогий, дорожчий, дешево, дешевий, вартість, знижка, акція, промокод, переплатити, переплата, бонус, кешбек, cashback, подорожчати, націнка, не вартий своїх грошей, за такі гроші, прайс, коштувати, доплата, доплачувати",
    "quality:en": "quality, fresh, stale, taste, tasty, tasteless, delicious, flavour, flavor, cold, burnt, undercooked, overcooked, raw, broken, break, defect, defective, faulty, damaged, spoiled, spoilt, rotten, expired, mouldy, moldy, soggy, bland, dry, food, kitchen, dish, meal, portion, coffee was, croissant, pastry, latte, pizza, soup, sandwich, works perfectly, stopped working, poor quality, cheaply made, as described, hair in, consistent, haircut, smashed, shattered, crooked, fell apart, came off, torn, leak, leaking, scratch, scratched, repair, repaired, fix, fixed, battery, screen",
    "quality:ru": "качество, качественный, некачественный, свежий, несвежий, черствый, вкус, вкусный, вкусно, невкусный, невкусно, холодный, остыть, остывший, пригореть, сырой, сухой, сломать, сломанный, сломаться, брак, бракованный, дефект, повреждение, повредить, испортить, испорченный, протухнуть, просроченный, плесень, пресный, еда, блюдо, кухня, порция, кофе был, круассан, выпечка, пирожок, пирожное, латте, пицца, суп, бутерброд, развалиться, порваться, протекать, царапина, кислый, горький, пережаренный, разбитый, мятый, криво, волос, как в описании, как на фото, слететь, стрижка, ремонт, починить, отремонтировать, экран, аккумулятор",
    "quality:uk": "якість, якісний, неякісний, свіжий, несвіжий, черствий, смак, смачний, смачно, несмачний, несмачно, холодний, охолонути, охололий, пригоріти, сирий, сухий, зламати, зламаний, зламатися, брак, бракований, дефект, пошкодження, пошкодити, пошкоджений, зіпсований, зіпсувати, протухнути, прострочений, пліснява, прісний, їжа, страва, кухня, порція, кава була, круасан, випічка, пиріжок, тістечко, лате, піца, суп, бутерброд, розвалитися, порватися, протікати, подряпина, кислий, гіркий, перепалений, розбитий, пом'ятий, криво, волосина, як в описі, як на фото, злетіти, стрижка, ремонт, полагодити, відремонтувати, екран, акумулятор",
    "cleanliness:en": "clean, cleanliness, dirty, dirt, filthy, messy, mess, sticky, dust, dusty, toilet, bathroom, restroom, smell, stink, hygiene, hygienic, cosy, cozy, comfortable, uncomfortable, ambience, ambiance, atmosphere, music, noisy, noise, loud, cold inside, too hot, stuffy, air conditioning, chair, table was, sticky table, wi-fi, wifi, thin walls, interior, decor, spotless, tidy, untidy, crumbs, trash, garbage, bins",
    "cleanliness:ru": "чистота, чисто, чистый, грязь, грязно, грязный, неряшливо, липкий, пыль, пыльный, туалет, уборная, запах, вонять, вонь, пахнуть, гигиена, уют, уютно, уютный, комфорт, комфортно, неуютно, атмосфера, музыка, шумно, шумный, шум, громко, громкий, душно, холодно в зале, жарко, кондиционер, стул, стол был, столик, интерьер, вай-фай, вайфай, wi-fi, звукоизоляция, мусор, крошки, убирать, уборка",
    "cleanliness:uk": "чистота, чисто, чистий, бруд, брудно, брудний, неохайно, липкий, пил, запилений, туалет, вбиральня, запах, смердіти, сморід, пахнути, гігієна, затишок, затишно, затишний, комфорт, комфортно, атмосфера, музика, галасно, гучно, гучний, шум, шумно, задушливо, душно, холодно в залі, спекотно, кондиціонер, стілець, стіл був, столик, інтер'єр, вайфай, вай-фай, wi-fi, звукоізоляція, інтерєр, сміття, крихти, прибирати, прибирання",
    "website:en": "website, site, web, online, app, application, checkout, check-out, cart, basket, login, log in, logged out, sign in, password, page, button, bug, glitch, crash, error message, loading, browser, portal, link, menu online, online order, order online, interface, navigation, search, account",
    "website:ru": "сайт, приложение, онлайн, app, корзина, оформить заказ, оформление, логин, войти, вход, авторизация, пароль, страница, кнопка, баг, глючить, глюк, вылетать, ошибка, загружаться, грузиться, браузер, ссылка, интерфейс, checkout, поиск, личный кабинет, регистрация, аккаунт",
    "website:uk": "сайт, застосунок, додаток, онлайн, app, кошик, оформити замовлення, оформлення, логін, увійти, вхід, авторизація, пароль, сторінка, кнопка, баг, глючити, глюк, вилітати, помилка, завантажуватися, завантаження, браузер, посилання, інтерфейс, checkout, пошук, особистий кабінет, реєстрація, акаунт",
    "payment:en": "payment, pay, card, declined, terminal, cash, refund, receipt, invoice, charge, charged twice, double charge, billing, bill, apple pay, google pay, paypal, money back, transaction, contactless, chargeback",
    "payment:ru": "оплата, оплатить, оплачивать, заплатить, платить, платеж, карта, терминал, наличные, возврат, вернуть деньги, верните деньги, возврат денег, чек, счет, списать, списание, дважды, apple pay, google pay, транзакция, бесконтактный, oplata",
    "payment:uk": "оплата, оплатити, оплачувати, заплатити, платити, платіж, картка, карта, термінал, готівка, повернення коштів, повернути гроші, поверніть гроші, чек, рахунок, списати, списання, двічі, apple pay, google pay, транзакція, безконтактний, oplata",
    "communication:en": "inform, information, notify, notification, call, phone call, by phone, email, e-mail, message, sms, text me, texted, update, tracking, kept me posted, kept informed, no one told, nobody told, no one answered, nobody answered, answer, respond, response, reply, contact, reach, communication, communicate, hotline, support, chat, warn, let me know, heard back, opening hours, open on",
    "communication:ru": "информация, информировать, уведомление, уведомить, звонок, звонить, позвонить, перезвонить, дозвониться, по телефону, письмо, email, сообщение, сообщить, смс, sms, обновление, обновляться, отслеживание, трекинг, никто не сказал, никто не ответил, ответ, ответить, отвечать, связаться, связь, горячая линия, поддержка, саппорт, чат, объяснить, предупредить, в курсе, шаблон, часы работы, на сайте указано",
    "communication:uk": "інформація, інформувати, сповіщення, сповістити, повідомлення, повідомити, дзвінок, дзвонити, подзвонити, зателефонувати, передзвонити, додзвонитися, по телефону, телефоном, лист, email, смс, sms, оновлення, оновлюватися, відстеження, трекінг, трекинг, ніхто не сказав, ніхто не відповів, відповідь, відповісти, відповідати, зв'язатися, зв'язок, гаряча лінія, підтримка, чат, пояснити, попередити, в курсі, шаблон, години роботи, на сайті вказано",
    "assortment:en": "range, selection, choice, variety, assortment, stock, out of stock, in stock, sold out, available, availability, unavailable, missing, ran out, run out, vegan, gluten, lactose, oat milk, colour, color, brand, restock, wider, more products, gluten-free, have what i need, had it, size, sizes, options",
    "assortment:ru": "ассортимент, выбор, разнообразие, наличие, нет в наличии, закончиться, распродать, отсутствовать, веганский, без глютена, безглютеновый, безлактозный, лактоза, растительное молоко, цвет, бренд, поставка, все нужное, позиция, полки пустые, размер",
    "assortment:uk": "асортимент, вибір, різноманіття, наявність, немає в наявності, закінчитися, розпродати, відсутній, веганський, без глютену, безглютеновий, безлактозний, лактоза, рослинне молоко, колір, бренд, постачання, все потрібне, позиція, полиці порожні, розмір"
}

category = sa.table("category", sa.column("id", sa.Integer), sa.column("key", sa.String),
                    sa.column("keywords", sa.Text))


def _fingerprint(keywords: str) -> str:
    return hashlib.sha256(keywords.encode()).hexdigest()[:16]


def upgrade():
    connection = op.get_bind()
    by_fingerprint = {(name.split(":")[0], fingerprint): name for name, fingerprint in OLD.items()}
    rows = connection.execute(sa.select(category.c.id, category.c.key, category.c.keywords)
                              .where(category.c.key.is_not(None))).all()
    for row_id, key, keywords in rows:
        name = by_fingerprint.get((key, _fingerprint(keywords or "")))
        if name in NEW:
            connection.execute(category.update().where(category.c.id == row_id).values(keywords=NEW[name]))


def downgrade():
    pass  # the old stems are not kept: a downgrade leaves the new words, which the old code reads as words too
